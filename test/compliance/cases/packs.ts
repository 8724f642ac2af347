/**
 * Packs in and out of every store: a served pack copies stored deltas byte
 * for byte, an accepted push keeps its pack's deltas, and a refused or
 * interrupted push leaves no object behind (quarantine).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { hashObject, type DataStore } from '../../../src/datastore/index.js';
import { deltaEntry, deltaParts, ENCODING } from '../../../src/datastore/objects/encoding.js';
import type { ObjectEntry } from '../../../src/datastore/types.js';
import { createDelta } from '../../../src/git/pack/delta-encode.js';
import { PackReader } from '../../../src/git/pack/index.js';
import { writeStoredPack } from '../../../src/git/transfer/stored-pack.js';
import { serveReceivePack } from '../../../src/git/protocol/index.js';
import { buildPack, commitBytes, copyDelta, objectId, pushBody, treeBytes } from '../../../support/pack-builder.js';
import type { SuiteContext } from '../context.js';
import { zeroId } from '../../../src/datastore/hash.js';

const ZERO = zeroId();

/** A push through the protocol engine, as a transport drives it; returns what the client would read, as text. */
async function push(store: DataStore, repoId: string, body: AsyncIterable<Buffer>): Promise<string> {
  const repo = (await store.getRepository(repoId))!;
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await serveReceivePack({ store, repo, access: 'admin' }, body, out, { stateless: true });
  return Buffer.concat(chunks).toString('latin1');
}

async function* chunks(buf: Buffer, failAfter?: number): AsyncGenerator<Buffer> {
  for (let i = 0; i < buf.length; i += 16) {
    if (failAfter !== undefined && i + 16 > failAfter) throw new Error('client went away');
    yield buf.subarray(i, i + 16);
  }
}

async function objectCount(store: DataStore): Promise<number> {
  let n = 0;
  for await (const _ of store.listObjects()) n++;
  return n;
}

export function packCases(ctx: SuiteContext): void {
  it('serves a stored delta byte for byte in a pack git accepts, bases first', async () => {
    await ctx.withStore(async (store) => {
      let text = Array.from({ length: 80 }, (_, i) => `a line ${i} that stays the same in every version\n`).join('');
      const datas: Buffer[] = [];
      for (let v = 0; v < 4; v++) datas.push(Buffer.from((text = text.replace(`line ${v * 9} `, `line ${v * 9} (v${v}) `))));
      const entries: ObjectEntry[] = [{ id: hashObject('blob', datas[0]), type: 'blob', size: datas[0].length, encoding: ENCODING.whole, base: null, bytes: deflateSync(datas[0]) }];
      for (let v = 1; v < datas.length; v++) {
        const delta = createDelta(datas[v - 1], datas[v])!;
        entries.push(deltaEntry(hashObject('blob', datas[v]), 'blob', datas[v].length, entries[v - 1].id, v, delta.length, deflateSync(delta)));
      }
      await store.putEntries(entries);
      // Newest first: every delta's base comes later in the list, so the writer must put bases first.
      const sending = [...entries].reverse().map((e) => ({ id: e.id, type: e.type }));
      const out = new PassThrough();
      const parts: Buffer[] = [];
      out.on('data', (c: Buffer) => parts.push(c));
      const written = await writeStoredPack(store, sending, out, { format: 'sha1', ofsDelta: true });
      assert.equal(written.reused, entries.length, 'every entry copied, none rebuilt');
      const dir = mkdtempSync(join(tmpdir(), 'govc-served-'));
      try {
        const packPath = join(dir, 'served.pack');
        writeFileSync(packPath, Buffer.concat(parts));
        execFileSync('git', ['index-pack', '--strict', packPath], { stdio: 'pipe' });
        const { reader, index } = await PackReader.open(packPath);
        try {
          const offsets = Array.from(index.positionsByOffset(), (p) => index.offsetAt(p));
          for (const e of entries) {
            const at = index.offsetOf(e.id)!;
            const next = offsets[offsets.indexOf(at) + 1] ?? reader.size - 20;
            const { header, zlib } = await reader.readStored(at, next - at);
            const stored = e.encoding === ENCODING.delta ? deltaParts(e).zlib : Buffer.from(e.bytes);
            assert.ok(zlib.equals(stored), `entry of ${e.id} as stored`);
            assert.equal(header.kind, e.encoding === ENCODING.delta ? 'ofs-delta' : 'object');
          }
        } finally {
          await reader.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('keeps no object of a refused or interrupted push, and the deltas of an accepted one', async () => {
    await ctx.withStore(async (store) => {
      const repoId = (await store.createRepository({ name: 'quarantine' })).id;
      const base = Buffer.from('the first version of a file\n'.repeat(20));
      const next = Buffer.concat([base, Buffer.from('one more line\n')]);
      const blob = objectId('blob', base);
      const grown = objectId('blob', next);
      // A tree git's fsck refuses (two entries of one name), under a commit.
      const badTree = treeBytes([['100644', 'a.txt', blob], ['100644', 'a.txt', blob]]);
      const badCommit = commitBytes(objectId('tree', badTree));
      const refused = buildPack([{ type: 'blob', data: base }, { type: 'tree', data: badTree }, { type: 'commit', data: badCommit }]);
      const before = await objectCount(store);
      const answer = await push(store, repoId, chunks(pushBody(ZERO, objectId('commit', badCommit), 'refs/heads/main', refused)));
      assert.match(answer, /unpack .*duplicateEntries/);
      assert.equal(await objectCount(store), before, 'a refused push stores nothing');
      assert.equal(await store.hasObject(blob), false);

      const goodTree = treeBytes([['100644', 'a.txt', blob], ['100644', 'b.txt', grown]]);
      const goodCommit = commitBytes(objectId('tree', goodTree));
      const good = buildPack([
        { type: 'blob', data: base },
        { refDelta: blob, delta: copyDelta(base.length, base.length, Buffer.from('one more line\n')) },
        { type: 'tree', data: goodTree },
        { type: 'commit', data: goodCommit },
      ]);
      const body = pushBody(ZERO, objectId('commit', goodCommit), 'refs/heads/main', good);
      assert.match(await push(store, repoId, chunks(body, body.length - 60)), /unpack .*went away/);
      assert.equal(await objectCount(store), before, 'an interrupted push stores nothing');

      assert.match(await push(store, repoId, chunks(body)), /ok refs\/heads\/main/);
      assert.equal((await store.getRef(repoId, 'refs/heads/main'))?.target, objectId('commit', goodCommit));
      const kept = (await store.getEntries([grown])).get(grown)!;
      assert.equal(kept.encoding, ENCODING.delta, 'the pack\'s delta is kept');
      assert.equal(kept.base, blob);
      assert.ok(Buffer.from((await store.getObject(grown))!.data).equals(next));
    });
  });
}
