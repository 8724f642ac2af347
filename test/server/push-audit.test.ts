/**
 * A push's audit event is in the write that moves its refs: when the process
 * dies the moment that write is acknowledged (nothing after it runs, neither
 * the engine's report nor the transport's audit), the reopened store has the
 * moved ref and its one `git.push` event. The death is made deterministic by
 * a store whose updateRefs closes the store once its write is acknowledged
 * and never returns; the transport's part is the server's own recordPush.
 * Run on the stores that outlive a process: SQLite, PostgreSQL.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createStore } from '../../src/datastore/builtin.js';
import { zeroId } from '../../src/datastore/hash.js';
import type { DataStore } from '../../src/datastore/store.js';
import { serveReceivePack, type ProtocolSession } from '../../src/git/protocol/index.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { pushEventBase, recordPush } from '../../src/server/push-record.js';
import { buildPack, commitBytes, objectId, pushBody, treeBytes } from '../../support/pack-builder.js';
import { STORE_TARGETS } from '../support/stores.js';

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const SCHEMA = `govc_push_audit_${process.pid}`;
const ZERO = zeroId();

/** The store, dying (closed, the call never returning) right after its first updateRefs is acknowledged. */
function dyingAfterRefUpdate(store: DataStore): { store: DataStore; died: Promise<void> } {
  let die!: () => void;
  const died = new Promise<void>((resolve) => (die = resolve));
  const proxy = new Proxy(store, {
    get(target, prop) {
      if (prop === 'updateRefs') {
        return async (...args: Parameters<DataStore['updateRefs']>) => {
          await target.updateRefs(...args);
          await target.close();
          die();
          return new Promise<never>(() => undefined);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: proxy, died };
}

/** What an HTTP push does: the engine, then the transport's metrics and audit. */
async function push(session: ProtocolSession, body: Buffer): Promise<void> {
  const out = new PassThrough();
  out.resume();
  const result = await serveReceivePack(session, Readable.from([body]), out, { stateless: true });
  if (result) await recordPush(session, new ServerMetrics(session.store), result);
}

const sqlite = STORE_TARGETS.find((t) => t.name === 'sqlite')!;
const targets = [
  { name: 'sqlite', uri: sqlite.uri },
  { name: 'postgres', uri: () => `${PG}?schema=${SCHEMA}` },
];

for (const target of targets) {
  describe(`a push's audit event on ${target.name}`, () => {
    let client: pg.Client | undefined;
    before(async () => {
      if (target.name !== 'postgres') return;
      execFileSync('bash', [new URL('../../../scripts/ensure-postgres.sh', import.meta.url).pathname], { stdio: 'inherit' });
      client = new pg.Client({ connectionString: PG });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await client.query(`CREATE SCHEMA ${SCHEMA}`);
    });
    after(async () => {
      if (!client) return;
      await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
      await client.end();
    });

    it('is not lost when the process dies right after the ref update', async () => {
      const uri = target.uri();
      const setup = await createStore(uri);
      const repo = await setup.createRepository({ name: 'dies' });
      const user = await setup.createUser({ username: 'pusher', email: 'pusher@example.com' });
      await setup.close();

      const tree = treeBytes([]);
      const commit = commitBytes(objectId('tree', tree));
      const id = objectId('commit', commit);
      const body = pushBody(ZERO, id, 'refs/heads/main', buildPack([{ type: 'tree', data: tree }, { type: 'commit', data: commit }]));
      const dying = dyingAfterRefUpdate(await createStore(uri));
      const session: ProtocolSession = { store: dying.store, repo, access: 'write', pushEvent: pushEventBase(user.id) };
      await Promise.race([push(session, body), dying.died]);

      const store = await createStore(uri);
      try {
        assert.equal((await store.getRef(repo.id, 'refs/heads/main'))?.target, id);
        const events = (await store.queryEvents({ action: 'git.push', limit: 10 })).items;
        assert.deepEqual(
          events.map((e) => ({ userId: e.userId, resource: e.resource, repositoryId: e.repositoryId, details: e.details })),
          [{ userId: user.id, resource: 'dies', repositoryId: repo.id, details: { atomic: false, objects: 2, refs: [{ ref: 'refs/heads/main', old: ZERO, new: id, result: 'ok' }] } }],
        );
      } finally {
        await store.close();
      }
    });
  });
}
