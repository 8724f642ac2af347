import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hashObject } from '../../src/datastore/hash.js';
import { indexBytes, indexPackFile, PackReader, parseCommit, parseTree, serializeCommit, serializeTree, writePackFiles } from '../../src/git/index.js';
import { tempDir } from '../../support/temp-dir.js';
import { removeDir } from './fixture.js';
import { gitSync } from '../../support/git.js';

test('sha256 repositories: packs, indexes and objects with 32-byte ids', async () => {
  const root = tempDir().path;
  try {
    const dir = join(root, 'repo');
    gitSync(root, ['init', '-q', '--object-format=sha256', dir]);
    for (let i = 1; i <= 3; i++) {
      writeFileSync(join(dir, 'f.txt'), Array.from({ length: i * 300 }, (_, k) => `line ${k}\n`).join(''));
      gitSync(dir, ['add', '-A']);
      gitSync(dir, ['commit', '-q', '-m', `c${i}`], { env: { GIT_COMMITTER_DATE: `${1_700_000_000 + i} +0000` } });
    }
    gitSync(dir, ['repack', '-a', '-d', '-q']);
    const packDir = join(dir, '.git/objects/pack');
    const packPath = join(packDir, readdirSync(packDir).find((n) => n.endsWith('.pack'))!);
    const { reader, index } = await PackReader.open(packPath, { format: 'sha256' });
    const objects = [];
    try {
      for (const e of index.entriesByOffset()) {
        const obj = await reader.readAt(e.offset);
        assert.equal(hashObject(obj.type, obj.data, 'sha256'), e.id);
        if (obj.type === 'tree') assert.ok(serializeTree(parseTree(obj.data, 'sha256')).equals(Buffer.from(obj.data)));
        if (obj.type === 'commit') assert.ok(serializeCommit(parseCommit(obj.data)).equals(Buffer.from(obj.data)));
        objects.push({ id: e.id, type: obj.type, data: obj.data });
      }
    } finally {
      await reader.close();
    }
    assert.equal(objects.length, index.count);
    const pack = await indexPackFile(packPath, { format: 'sha256' });
    await pack.reader.close();
    assert.ok(indexBytes(pack, 'sha256').equals(readFileSync(packPath.replace(/\.pack$/, '.idx'))));
    const out = join(root, 'out');
    gitSync(root, ['init', '-q', '--bare', '--object-format=sha256', out]);
    const written = await writePackFiles(objects, join(out, 'objects/pack'), { format: 'sha256' });
    const verify = gitSync(out, ['verify-pack', '-v', written.idxPath]);
    assert.match(verify, new RegExp(`non delta: ${objects.length} objects`));
  } finally {
    removeDir(root);
  }
});
