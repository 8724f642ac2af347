import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createWriteStream, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { before, test } from 'node:test';
import type { DataStore } from '../../src/datastore/store.js';
import { anyStoredBase, collectObjects, importRepository, storePackStream, writePackFor } from '../../src/git/index.js';
import { Walker } from '../../src/git/protocol/walk.js';
import { EntryStash } from '../../src/git/transfer/entry-stash.js';
import { writeStoredPack } from '../../src/git/transfer/stored-pack.js';
import { tempDir } from '../../support/temp-dir.js';
import { addCommits, removeDir } from './fixture.js';
import { gitSync, gitBuffer } from '../../support/git.js';
import { describeOnStores } from '../support/stores.js';

function revListObjects(dir: string, args: string[]): string[] {
  return gitBuffer(dir, ['rev-list', '--objects', ...args]).toString('latin1').trim().split('\n').map((l) => l.slice(0, 40)).sort();
}

describeOnStores('server-side pack transfer', (fx) => {
  let root: string;
  let repo: string;
  let store: DataStore;
  before(async () => {
    ({ root, repo, store } = fx);
    await importRepository(store, repo, { name: 'fixture', index: false });
  });

  test('upload-pack side: the objects git would send, as a pack git accepts', async () => {
    const main = gitSync(repo, ['rev-parse', 'main']).trim();
    const feature = gitSync(repo, ['rev-parse', 'feature']).trim();
    const v1 = gitSync(repo, ['rev-parse', 'v1.0']).trim();
    assert.deepEqual((await collectObjects(store, [main, v1], [feature])).map((o) => o.id).sort(), revListObjects(repo, [main, v1, `^${feature}`]));
    assert.deepEqual((await collectObjects(store, [main], [])).map((o) => o.id).sort(), revListObjects(repo, [main]));

    const dir = tempDir().path;
    try {
      const packPath = join(dir, 'fetch.pack');
      const file = createWriteStream(packPath);
      const written = await writePackFor(store, [main], [feature], file);
      file.end();
      await once(file, 'finish');
      gitSync(dir, ['init', '-q', '--bare', 'clone.git']);
      const idx = gitSync(join(dir, 'clone.git'), ['index-pack', '--stdin'], { input: readFileSync(packPath) }).trim();
      assert.equal(idx, `pack\t${written.checksum}`);
      assert.equal(written.count, revListObjects(repo, [main, `^${feature}`]).length);
    } finally {
      removeDir(dir);
    }
  });

  test('a pack written from the entries its walk kept is the same pack, whatever the stash could hold', async () => {
    const main = gitSync(repo, ['rev-parse', 'main']).trim();
    const v1 = gitSync(repo, ['rev-parse', 'v1.0']).trim();
    const pack = async (stash?: EntryStash) => {
      const sending = await new Walker(store).objectsToSend([main, v1], [], { stash });
      const kept = stash?.size ?? 0;
      const chunks: Buffer[] = [];
      const sink = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
      const written = await writeStoredPack(store, sending, sink, { format: store.objectFormat, ofsDelta: true, stash });
      return { bytes: Buffer.concat(chunks), written, kept, sending };
    };
    const plain = await pack();
    const commitsAndTrees = [...plain.sending].filter((o) => o.type === 'commit' || o.type === 'tree').length;
    const all = new EntryStash(64 << 20);
    const full = await pack(all);
    assert.equal(full.kept, commitsAndTrees, 'every commit and tree read by the walk is kept');
    const some = new EntryStash(2000);
    const part = await pack(some);
    assert.ok(part.kept > 0 && part.kept < commitsAndTrees, `a 2000-byte stash kept ${part.kept} of ${commitsAndTrees}`);
    for (const p of [full, part]) {
      assert.equal(p.written.checksum, plain.written.checksum);
      assert.ok(p.bytes.equals(plain.bytes));
    }
    assert.equal(all.size + some.size, 0, 'the writer took every kept entry');
  });

  test('receive-pack side: a thin pack from git pack-objects lands in the store', async () => {
    const before = gitSync(repo, ['rev-parse', 'main']).trim();
    gitSync(repo, ['checkout', '-q', 'main']);
    addCommits(repo, 2);
    const after = gitSync(repo, ['rev-parse', 'HEAD']).trim();
    const thin = gitBuffer(repo, ['pack-objects', '--revs', '--thin', '--stdout', '--delta-base-offset'], { input: `${after}\n^${before}\n` });
    assert.equal(await store.hasObject(after), false);
    await assert.rejects(storePackStream(store, Readable.from([thin])), /neither in the pack nor in this repository/, 'thin packs need a base policy');
    assert.equal(await store.hasObject(after), false, 'a refused pack stores nothing');
    const stored = await storePackStream(store, Readable.from([thin]), { externalBases: anyStoredBase(store) });
    assert.equal(stored.added, revListObjects(repo, [after, `^${before}`]).length);
    assert.equal(await store.hasObject(after), true);
    assert.equal((await storePackStream(store, Readable.from([thin]), { externalBases: anyStoredBase(store) })).added, 0, 'a second push adds nothing');
  });
});
