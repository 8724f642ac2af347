/**
 * A push of many refs without --atomic is one ref write on every store, and
 * only a real conflict fails its ref: a concurrent writer that moves one ref
 * between the checks and the write fails that ref alone ("failed to lock"),
 * and the rest land in a second write, the push's audit event with them
 * (one event, none from the refused write). Run through the engine with the
 * store's updateRefs counted (the store itself is real: memory, SQLite,
 * PostgreSQL).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createStore } from '../../src/datastore/builtin.js';
import { ConflictError } from '../../src/datastore/errors.js';
import type { DataStore } from '../../src/datastore/store.js';
import { serveReceivePack } from '../../src/git/protocol/index.js';
import { buildPack, commitBytes, objectId, pktLine, treeBytes } from '../../support/pack-builder.js';
import { STORE_TARGETS } from '../support/stores.js';
import { zeroId } from '../../src/datastore/hash.js';

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const ZERO = zeroId();
const REFS = 400;

/** The store, with its updateRefs calls counted; `first` runs before the first one reaches the store. */
function counted(store: DataStore, first?: () => Promise<void>): { store: DataStore; calls: () => number } {
  let calls = 0;
  const proxy = new Proxy(store, {
    get(target, prop) {
      if (prop === 'updateRefs') {
        return async (...args: Parameters<DataStore['updateRefs']>) => {
          if (++calls === 1) await first?.();
          return target.updateRefs(...args);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, calls: () => calls };
}

function pushOf(refs: string[], commit: string, pack: Buffer): Buffer {
  const lines = refs.map((ref, i) => pktLine(`${ZERO} ${commit} ${ref}${i === 0 ? '\0report-status' : ''}\n`));
  return Buffer.concat([...lines, Buffer.from('0000'), pack]);
}

/** The push through the engine, with an audit event for it to record; resolves to what the client reads, and whether the event went with the refs. */
async function push(store: DataStore, repoName: string, body: Buffer): Promise<{ report: string; eventRecorded?: boolean }> {
  const repo = (await store.getRepositoryByName(repoName))!;
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const result = await serveReceivePack({ store, repo, access: 'write', pushEvent: { action: 'test.push', userId: null } }, Readable.from([body]), out, { stateless: true });
  return { report: Buffer.concat(chunks).toString('latin1'), eventRecorded: result?.eventRecorded };
}

/** The results of each ref in the repository's recorded push events. */
async function recordedResults(store: DataStore, repoName: string): Promise<Array<Record<string, string>>> {
  const repo = (await store.getRepositoryByName(repoName))!;
  const events = (await store.queryEvents({ action: 'test.push', repositoryId: repo.id, limit: 10 })).items;
  return events.map((e) => Object.fromEntries((e.details.refs as Array<{ ref: string; result: string }>).map((r) => [r.ref, r.result])));
}

const targets = [...STORE_TARGETS.map((t) => ({ name: t.name, uri: t.uri })), { name: 'postgres', uri: () => `${PG}?schema=govc_refs_${process.pid}` }];

for (const target of targets) {
  describe(`a push of ${REFS} refs without --atomic on ${target.name}`, () => {
    let store: DataStore;
    let client: pg.Client | undefined;
    const tree = treeBytes([]);
    const commit = commitBytes(objectId('tree', tree));
    const commitId = objectId('commit', commit);
    const pack = buildPack([
      { type: 'tree', data: tree },
      { type: 'commit', data: commit },
    ]);
    before(async () => {
      if (target.name === 'postgres') {
        execFileSync('bash', [new URL('../../../scripts/ensure-postgres.sh', import.meta.url).pathname], { stdio: 'inherit' });
        client = new pg.Client({ connectionString: PG });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS govc_refs_${process.pid} CASCADE`);
        await client.query(`CREATE SCHEMA govc_refs_${process.pid}`);
      }
      store = await createStore(target.uri());
      await store.createRepository({ name: 'many' });
      await store.createRepository({ name: 'race' });
      await store.createRepository({ name: 'isolated' });
    });
    after(async () => {
      await store.close();
      if (client) {
        await client.query(`DROP SCHEMA IF EXISTS govc_refs_${process.pid} CASCADE`);
        await client.end();
      }
    });

    it('is one ref write, every ref reported ok', async () => {
      const refs = Array.from({ length: REFS }, (_, i) => `refs/heads/b${i}`);
      const c = counted(store);
      const { report, eventRecorded } = await push(c.store, 'many', pushOf(refs, commitId, pack));
      assert.equal((report.match(/ok refs\/heads\/b\d+\n/g) ?? []).length, REFS, report.slice(0, 200));
      assert.equal(eventRecorded, true);
      assert.deepEqual(await recordedResults(store, 'many'), [Object.fromEntries(refs.map((r) => [r, 'ok']))]);
      // One for every ref, one for HEAD (fixHead points the new repository's HEAD at a pushed branch).
      assert.equal(c.calls(), 2);
      let listed = 0;
      for await (const _ of store.listRefs((await store.getRepositoryByName('many'))!.id, 'refs/heads/')) listed++;
      assert.equal(listed, REFS);
    });

    it('fails only the ref a concurrent writer moved first', async () => {
      const refs = Array.from({ length: REFS }, (_, i) => `refs/heads/r${i}`);
      const repo = (await store.getRepositoryByName('race'))!;
      // Lands between the push's checks and its write, as another push would.
      const c = counted(store, () => store.updateRefs(repo.id, [{ name: 'refs/heads/r7', old: null, new: commitId }]));
      const { report, eventRecorded } = await push(c.store, 'race', pushOf(refs, commitId, pack));
      assert.match(report, /ng refs\/heads\/r7 failed to lock/);
      assert.equal((report.match(/ok refs\/heads\/r\d+\n/g) ?? []).length, REFS - 1);
      // One event, in the second write (the one that moved the refs), with r7's failure in it; none from the refused first write.
      assert.equal(eventRecorded, true);
      const results = await recordedResults(store, 'race');
      assert.equal(results.length, 1);
      assert.match(results[0]['refs/heads/r7'], /failed to lock/);
      assert.equal(Object.values(results[0]).filter((r) => r === 'ok').length, REFS - 1);
      // The write that met the conflict, one more for the refs that did not move, one for HEAD.
      assert.equal(c.calls(), 3);
    });

    it('goes ref by ref after a conflict no moved ref explains, the event with the last ref', async () => {
      const refs = Array.from({ length: 5 }, (_, i) => `refs/heads/i${i}`);
      const c = counted(store, () => Promise.reject(new ConflictError('a conflict no ref explains')));
      const { report, eventRecorded } = await push(c.store, 'isolated', pushOf(refs, commitId, pack));
      assert.equal((report.match(/ok refs\/heads\/i\d+\n/g) ?? []).length, refs.length, report);
      // The refused write, one per ref, one for HEAD; one event, every ref ok in it.
      assert.equal(c.calls(), 1 + refs.length + 1);
      assert.equal(eventRecorded, true);
      assert.deepEqual(await recordedResults(store, 'isolated'), [Object.fromEntries(refs.map((r) => [r, 'ok']))]);
    });
  });
}
