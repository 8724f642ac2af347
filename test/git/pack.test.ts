import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { createWriteStream, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { IntegrityError } from '../../src/datastore/errors.js';
import { hashObject } from '../../src/datastore/hash.js';
import type { GitObject } from '../../src/datastore/types.js';
import { applyDelta, createDelta, indexBytes, indexPackFile, PackReader, receivePack, writePack, writePackFiles, writePackIndex } from '../../src/git/index.js';
import { allObjects, type CatObject } from './cat-file.js';
import { buildPack, copyDelta, type PackEntry } from '../../support/pack-builder.js';
import { encodeEntryHeader } from '../../src/git/pack/entry-header.js';
import { tempDir } from '../../support/temp-dir.js';
import { makeFixtureRepo, removeDir } from './fixture.js';
import { gitSync, gitBuffer, gitStatus } from '../../support/git.js';

describe('pack files against git', () => {
  let root: string;
  let repo: string;
  let objects: CatObject[];
  let byId: Map<string, CatObject>;
  let packs: string[];
  before(() => {
    root = tempDir().path;
    repo = makeFixtureRepo(root);
    objects = allObjects(repo);
    byId = new Map(objects.map((o) => [o.id, o]));
    const dir = join(repo, '.git/objects/pack');
    packs = readdirSync(dir).filter((n) => n.endsWith('.pack')).map((n) => join(dir, n));
  });
  after(() => removeDir(root));

  test('reads every object of ref-delta and ofs-delta packs, with a tiny delta-base cache too', async () => {
    const kinds = new Set<string>();
    for (const packPath of packs) {
      for (const cacheBytes of [64 << 20, 1024]) {
        const { reader, index } = await PackReader.open(packPath, { cacheBytes });
        try {
          const entries = index.entriesByOffset();
          for (const e of [...entries].reverse()) {
            const raw = await reader.readRaw(e.offset);
            kinds.add(raw.header.kind);
            const obj = await reader.readAt(e.offset);
            const expected = byId.get(e.id)!;
            assert.equal(obj.type, expected.type);
            assert.ok(Buffer.from(obj.data).equals(expected.data), `object ${e.id} from ${packPath}`);
          }
        } finally {
          await reader.close();
        }
      }
    }
    assert.ok(kinds.has('ofs-delta') && kinds.has('ref-delta') && kinds.has('object'), [...kinds].join());
  });

  test('indexing a pack without its .idx gives the byte-identical .idx git wrote', async () => {
    for (const packPath of packs) {
      const pack = await indexPackFile(packPath);
      try {
        assert.ok(indexBytes(pack).equals(readFileSync(packPath.replace(/\.pack$/, '.idx'))), `idx of ${packPath}`);
      } finally {
        await pack.reader.close();
      }
    }
  });

  test('a blob too large to hold is hashed as it streams: the same .idx as git, the object intact', async () => {
    const dir = tempDir().path;
    try {
      gitSync(dir, ['init', '-q', '--bare', 'big.git']);
      const bare = join(dir, 'big.git');
      const data = Buffer.concat([Buffer.from('large '.repeat(1 << 20)), randomBytes(3 << 20)]);
      const id = gitSync(bare, ['hash-object', '-w', '--stdin'], { input: data }).trim();
      const pack = gitBuffer(bare, ['pack-objects', '--stdout'], { input: `${id}\n` });
      const packPath = join(dir, 'big.pack');
      writeFileSync(packPath, pack);
      gitSync(dir, ['index-pack', packPath]);
      const indexed = await indexPackFile(packPath);
      try {
        assert.equal(indexed.entries[0].id, id);
        assert.ok(indexBytes(indexed).equals(readFileSync(packPath.replace(/\.pack$/, '.idx'))));
        assert.ok(Buffer.from((await indexed.reader.readAt(indexed.entries[0].offset)).data).equals(data));
      } finally {
        await indexed.reader.close();
      }
    } finally {
      removeDir(dir);
    }
  });

  test('a written pack passes git index-pack and verify-pack, with the same .idx git computes', async () => {
    const dir = tempDir().path;
    try {
      const written = await writePackFiles(objects, dir);
      const ours = readFileSync(written.idxPath);
      const gitIdx = join(dir, 'git.idx');
      gitSync(dir, ['index-pack', '-o', gitIdx, written.packPath]);
      assert.ok(readFileSync(gitIdx).equals(ours), 'git index-pack computes our .idx');
      const verify = gitStatus(dir, ['verify-pack', '-v', written.idxPath]);
      assert.equal(verify.status, 0, verify.stderr);
      assert.match(verify.stdout, new RegExp(`non delta: ${objects.length} objects`));
      // Without a count the writer spools first; the bytes are the same.
      const spooled = join(dir, 'spooled.pack');
      const file = createWriteStream(spooled);
      async function* stream(): AsyncGenerator<GitObject> {
        yield* objects;
      }
      const again = await writePack(stream(), file);
      file.end();
      await once(file, 'finish');
      assert.equal(again.checksum, written.checksum);
      assert.ok(readFileSync(spooled).equals(readFileSync(written.packPath)));
      assert.ok(writePackIndex(again.entries, Buffer.from(again.checksum, 'hex')).equals(ours));
    } finally {
      removeDir(dir);
    }
  });

  test('a thin pack received as a stream resolves its bases from outside', async () => {
    const thin = gitBuffer(repo, ['pack-objects', '--revs', '--thin', '--stdout', '--delta-base-offset'], { input: 'main\n^main~3\n' });
    const asked: string[] = [];
    const received = await receivePack(Readable.from([thin.subarray(0, 100), thin.subarray(100)]), {
      externalBases: {
        admit: async (ids) => new Set(ids),
        read: async (id) => {
          asked.push(id);
          return byId.get(id);
        },
      },
    });
    try {
      assert.ok(received.externalBases.length > 0, 'git made a thin pack');
      let n = 0;
      for await (const obj of received.objects()) {
        const expected = byId.get(obj.id)!;
        assert.ok(expected && Buffer.from(obj.data).equals(expected.data), `object ${obj.id}`);
        n++;
      }
      assert.equal(n, thin.readUInt32BE(8));
    } finally {
      await received.close();
    }
    await assert.rejects(receivePack(Readable.from([thin])), IntegrityError, 'without the store the bases are missing');
  });

  test('a base refused by externalBases is never read, and a chain of ref-deltas before their bases resolves', async () => {
    const read: string[] = [];
    const base = Buffer.from('x'.repeat(100));
    const baseId = hashObject('blob', base, 'sha1');
    const bases = { admit: async () => new Set<string>(), read: async (id: string) => (read.push(id), { type: 'blob' as const, data: base }) };
    const thin = buildPack([{ refDelta: baseId, delta: copyDelta(100, 100, Buffer.from('y')) }]);
    await assert.rejects(receivePack(Readable.from([thin]), { externalBases: bases }), new RegExp(`delta base ${baseId} is neither in the pack nor in this repository`));
    assert.deepEqual(read, [], 'the refused base was not read');

    // 2,000 ref-deltas, each on the next one, the whole base last: every delta waits for its base.
    const versions = [Buffer.from('v0\n')];
    for (let i = 1; i <= 2000; i++) versions.push(Buffer.concat([versions[i - 1], Buffer.from(`v${i}\n`)]));
    const entries: PackEntry[] = [];
    for (let i = versions.length - 1; i >= 1; i--) {
      entries.push({ refDelta: hashObject('blob', versions[i - 1], 'sha1'), delta: copyDelta(versions[i - 1].length, versions[i - 1].length, Buffer.from(`v${i}\n`)) });
    }
    entries.push({ type: 'blob', data: versions[0] });
    const chain = await receivePack(Readable.from([buildPack(entries)]));
    try {
      const ids = new Set(chain.entries.map((e) => e.id));
      for (const v of versions) assert.ok(ids.has(hashObject('blob', v, 'sha1')));
      const last = chain.entries[0];
      assert.ok(Buffer.from((await chain.readAt(last.offset)).data).equals(versions[2000]));
    } finally {
      await chain.close();
    }
  });

  test('deltas: createDelta inverts applyDelta, and a deltified pack passes git index-pack', async () => {
    let seed = 1;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => rand(256)));
    const versions: Buffer[] = [bytes(20_000)];
    for (let v = 1; v < 30; v++) {
      let next = versions[v - 1];
      for (let e = 0; e < 4; e++) {
        const at = rand(next.length + 1);
        next = Buffer.concat([next.subarray(0, at), bytes(rand(300)), next.subarray(Math.min(next.length, at + rand(200)))]);
      }
      versions.push(next);
      const delta = createDelta(versions[v - 1], next)!;
      assert.ok(applyDelta(versions[v - 1], delta).equals(next));
      assert.ok(delta.length < next.length / 10, 'small edits make small deltas');
    }
    assert.equal(createDelta(bytes(5000), bytes(5000), 2500), undefined, 'unrelated data gives no delta');
    const dir = tempDir().path;
    try {
      const objects = versions.map((data) => ({ type: 'blob' as const, data, name: 'file.bin' }));
      const plain = await writePackFiles(objects, dir);
      const packed = await writePackFiles(objects, dir, { deltas: true });
      assert.ok(packed.bytes < plain.bytes / 5, `${packed.bytes} vs ${plain.bytes}`);
      const gitIdx = join(dir, 'git.idx');
      gitSync(dir, ['index-pack', '-o', gitIdx, packed.packPath]);
      assert.ok(readFileSync(gitIdx).equals(readFileSync(packed.idxPath)));
      assert.match(gitSync(dir, ['verify-pack', '-v', packed.idxPath]), /chain length = 29: 1 object/);
      const { reader, index } = await PackReader.open(packed.packPath);
      try {
        assert.equal(index.count, versions.length);
        for (const v of versions) assert.ok(Buffer.from((await reader.read(hashObject('blob', v)))!.data).equals(v));
      } finally {
        await reader.close();
      }
    } finally {
      removeDir(dir);
    }
  });

  test('corrupt or truncated packs are refused', async () => {
    const dir = tempDir().path;
    try {
      const bytes = readFileSync(packs[0]);
      const flipped = Buffer.from(bytes);
      flipped[200] ^= 0xff;
      writeFileSync(join(dir, 'bad.pack'), flipped);
      await assert.rejects(indexPackFile(join(dir, 'bad.pack')), IntegrityError);
      writeFileSync(join(dir, 'short.pack'), bytes.subarray(0, bytes.length - 100));
      await assert.rejects(indexPackFile(join(dir, 'short.pack')), IntegrityError);
    } finally {
      removeDir(dir);
    }
  });

  test('an entry that is not a zlib stream, or inflates to more or fewer bytes than its header says, is refused at its offset', async () => {
    const dir = tempDir().path;
    // A valid checksum over a bad entry: only the entry itself can refuse it.
    const packOf = (size: number, zlib: Buffer) => {
      const head = Buffer.alloc(12);
      head.write('PACK', 0, 'latin1');
      head.writeUInt32BE(2, 4);
      head.writeUInt32BE(2, 8);
      const good = Buffer.from('after the bad one\n');
      const body = Buffer.concat([head, encodeEntryHeader('blob', size), zlib, encodeEntryHeader('blob', good.length), deflateSync(good)]);
      return Buffer.concat([body, createHash('sha1').update(body).digest()]);
    };
    const small = Buffer.from('hello pack\n');
    const large = randomBytes(2 << 20); // past the reused inflater's size: the other path
    const cases: Array<[string, Buffer, RegExp]> = [
      ['longer', packOf(small.length - 1, deflateSync(small)), /pack entry at 12: .*past 10 bytes/],
      ['shorter', packOf(small.length + 1, deflateSync(small)), /pack entry at 12: .*12/],
      ['garbage', packOf(small.length, Buffer.from('not zlib at all, not at all')), /pack entry at 12: /],
      ['large shorter', packOf(large.length + 1, deflateSync(large)), /pack entry at 12: /],
    ];
    try {
      for (const [name, pack, message] of cases) {
        writeFileSync(join(dir, `${name}.pack`), pack);
        await assert.rejects(indexPackFile(join(dir, `${name}.pack`)), (err: Error) => err instanceof IntegrityError && message.test(err.message), name);
      }
      // The same entries, right: both objects read back, the second found after the first's stream.
      writeFileSync(join(dir, 'good.pack'), packOf(small.length, deflateSync(small)));
      const pack = await indexPackFile(join(dir, 'good.pack'));
      try {
        assert.deepEqual(pack.entries.map((e) => e.id), [hashObject('blob', small, 'sha1'), hashObject('blob', Buffer.from('after the bad one\n'), 'sha1')]);
      } finally {
        await pack.reader.close();
      }
    } finally {
      removeDir(dir);
    }
  });
});
