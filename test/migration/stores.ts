/**
 * Fresh stores of every type for the migration tests, on real servers
 * (PostgreSQL from scripts/ensure-postgres.sh, a throwaway redis-server) and
 * temp dirs, plus a small content that exercises every record kind: whole
 * objects and deltas, repositories with direct and symbolic refs, users,
 * events, plain and internal config keys (tokens).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { hashObject, type DataStore } from '../../src/datastore/index.js';
import { KEYSPACE } from '../../src/datastore/keyspace.js';
import { deltaEntry } from '../../src/datastore/objects/encoding.js';
import { createDelta } from '../../src/git/pack/delta-encode.js';
import { schemaFactory } from '../stores/fixtures/pg-support.js';
import { startStandaloneRedis, type StandaloneRedis } from '../../support/redis-servers.js';

/** Every store type migration is tested on; a new store type is added here and joins the matrix. */
export const STORE_TYPES = ['memory', 'sqlite', 'rocksdb', 'lmdb', 'postgres', 'redis'] as const;
export type StoreType = (typeof STORE_TYPES)[number];

export class TestStores {
  private readonly dir = mkdtempSync(join(tmpdir(), 'govc-migration-'));
  private readonly schemas = schemaFactory('postgres');
  private redis?: StandaloneRedis;
  private n = 0;

  async uri(type: StoreType): Promise<string> {
    const n = ++this.n;
    switch (type) {
      case 'memory':
        return 'memory://';
      case 'sqlite':
        return `sqlite://${join(this.dir, `s${n}.db`)}`;
      case 'rocksdb':
      case 'lmdb':
        return `${type}://${join(this.dir, `${type}${n}`)}`;
      case 'postgres':
        return this.schemas.freshConfig();
      case 'redis':
        return `${(await this.redisServer()).url}?prefix=m${process.pid}-${n}`;
    }
  }

  async redisServer(): Promise<StandaloneRedis> {
    this.redis ??= await startStandaloneRedis();
    return this.redis;
  }

  file(name: string): string {
    return join(this.dir, name);
  }

  async cleanup(): Promise<void> {
    await this.schemas.cleanup().catch(() => undefined);
    await this.redis?.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

import { history } from '../support/commit-rows.js';

const text = (s: string) => Buffer.from(s);

/** Writes a small store content with every kind of record; `scale` multiplies the counts. */
export async function populate(store: DataStore, scale = 1, tag = 'm'): Promise<void> {
  const blobs = Array.from({ length: 20 * scale }, (_, i) => ({ type: 'blob' as const, data: text(`${tag} blob ${i}\n`.repeat(1 + (i % 7))) }));
  const ids = await store.putObjects(blobs);
  // deltas on stored bases, kept as deltas
  const deltas = [];
  for (let i = 0; i < 5 * scale; i++) {
    const base = blobs[i].data;
    const data = Buffer.concat([base, text(`${tag} change ${i}\n`)]);
    const delta = createDelta(base, data)!;
    deltas.push(deltaEntry(hashObject('blob', data), 'blob', data.length, ids[i], 1, delta.length, deflateSync(delta)));
  }
  await store.putEntries(deltas);
  const tree = await store.putObject({ type: 'tree', data: Buffer.alloc(0) });
  for (let r = 0; r < 2 * scale; r++) {
    const repo = await store.createRepository({ name: `${tag}/repo-ü-${r}`, visibility: r % 2 ? 'private' : 'public', metadata: { r, list: [1, 'two'] } });
    // the commit index travels too, however each store keeps it (rows made up: no commit objects behind them)
    await store.updateRefs(
      repo.id,
      [
        { name: 'refs/heads/main', new: ids[r % ids.length] },
        { name: 'refs/tags/v1', new: tree },
      ],
      { commits: history(3, `${tag}-${r}-`) },
    );
    await store.setSymbolicRef(repo.id, 'HEAD', 'refs/heads/main');
  }
  for (let u = 0; u < 2 * scale; u++) await store.createUser({ username: `${tag}-user-${u}`, email: `${tag}${u}@example.com`, isAdmin: u === 0 });
  for (let e = 0; e < 10 * scale; e++) await store.logEvent({ action: e % 2 ? 'push' : 'login', resource: `r${e}`, details: { e } });
  await store.setConfig(`${tag}.setting`, 'on');
  await store.setConfig(`${KEYSPACE.token}${tag}abc`, JSON.stringify({ userId: 'u', scopes: ['read'] }));
}
