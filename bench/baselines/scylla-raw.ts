/**
 * The raw CQL baseline of `govc datastore bench` for the scylla store: the
 * same work as each bench op (same counts, same blob sizes) as a plain
 * cassandra-driver loop on the store's node, in the store's layout (objects
 * deflated in id-prefix partitions, a ref updated by a lightweight
 * transaction, an event row beside it), with no DataStore in between. The
 * ratio of the store's figures to these is our layer's cost, not CQL's.
 * Everything goes into a throwaway keyspace, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import cassandra from 'cassandra-driver';
import { BlobSource } from '../../src/bench/blobs.js';
import { BATCH_SIZE, LIST_PAGE, opCounts, type BenchOp } from '../../src/bench/ops.js';
import { Timings } from '../../src/bench/timings.js';
import { type BaselineResult, gitBlobId, shuffled } from './common.js';

export interface ScyllaBaselineOptions {
  objects: number;
  size: number;
  /** The store URI, as bench/compare.ts passes it: its host, port, `hosts` and `local_dc` are used. */
  connection: string;
}

function fail(message: string): never {
  throw new Error(`scylla raw baseline: ${message}`);
}

export async function runScyllaBaseline(options: ScyllaBaselineOptions): Promise<BaselineResult[]> {
  const u = new URL(options.connection);
  const hosts = [`${u.hostname}:${u.port || 9042}`, ...(u.searchParams.get('hosts') ?? '').split(',').filter(Boolean)];
  const client = new cassandra.Client({
    contactPoints: hosts,
    localDataCenter: u.searchParams.get('local_dc') ?? 'datacenter1',
    queryOptions: { consistency: cassandra.types.consistencies.localQuorum, prepare: true },
  });
  await client.connect();
  const ks = `govc_raw_${randomBytes(4).toString('hex')}`;
  try {
    await client.execute(`CREATE KEYSPACE ${ks} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
    await client.execute(`CREATE TABLE ${ks}.objects (shard text, id text, entry blob, PRIMARY KEY ((shard), id))`);
    await client.execute(`CREATE TABLE ${ks}.refs (repo text, ref blob, target text, PRIMARY KEY ((repo), ref))`);
    await client.execute(`CREATE TABLE ${ks}.events (day int, ts bigint, id text, record blob, PRIMARY KEY ((day), ts, id))`);
    return await runPhases(client, ks, options);
  } finally {
    await client.execute(`DROP KEYSPACE IF EXISTS ${ks}`).catch(() => undefined);
    await client.shutdown();
  }
}

async function runPhases(client: cassandra.Client, ks: string, options: ScyllaBaselineOptions): Promise<BaselineResult[]> {
  const counts = opCounts(options.objects);
  const blobs = new BlobSource(options.size);
  const results: BaselineResult[] = [];
  const measure = async (op: BenchOp, body: (t: Timings) => Promise<void>) => {
    const t = new Timings(counts[op]);
    await body(t);
    const s = t.summary();
    results.push({ op, opsPerSec: s.opsPerSec, p50Ms: s.p50Ms, p99Ms: s.p99Ms });
  };
  const run = (q: string, params: unknown[]) => client.execute(q, params, { prepare: true });
  const putOne = async (data: Buffer): Promise<string> => {
    const id = gitBlobId(data);
    await run(`INSERT INTO ${ks}.objects (shard, id, entry) VALUES (?, ?, ?)`, [id.slice(0, 2), id, deflateSync(data)]);
    return id;
  };

  const ids: string[] = [];
  await measure('put', async (t) => {
    for (let i = 0; i < counts.put; i++) {
      const data = blobs.next();
      ids.push(await t.time(() => putOne(data)));
    }
  });

  await measure('get', async (t) => {
    for (const i of shuffled(ids.length)) {
      const id = ids[i];
      const rs = await t.time(async () => {
        const r = await run(`SELECT entry FROM ${ks}.objects WHERE shard = ? AND id = ?`, [id.slice(0, 2), id]);
        return inflateSync(r.rows[0].entry as Buffer);
      });
      if (rs.byteLength !== options.size) fail(`get of ${id} did not return its blob`);
    }
  });

  await measure('has', async (t) => {
    for (const i of shuffled(ids.length)) {
      const id = ids[i];
      const r = await t.time(() => run(`SELECT id FROM ${ks}.objects WHERE shard = ? AND id = ?`, [id.slice(0, 2), id]));
      if (r.rows.length !== 1) fail(`has of ${id} said no`);
    }
  });

  await measure('batch_put_1000', async (t) => {
    for (let i = 0; i < counts.batch_put_1000; i++) {
      const batch = Array.from({ length: BATCH_SIZE }, () => blobs.next());
      await t.time(async () => {
        // 32 in flight, as the store writes a batch.
        let next = 0;
        await Promise.all(Array.from({ length: 32 }, async () => {
          while (next < batch.length) await putOne(batch[next++]);
        }));
      });
    }
  });

  await measure('list', async (t) => {
    let after = '';
    for (let i = 0; i < counts.list; i++) {
      const page = await t.time(async () => {
        const out: string[] = [];
        for (let s = parseInt(after.slice(0, 2) || '0', 16); s < 256 && out.length <= LIST_PAGE; s += 32) {
          const shards = Array.from({ length: Math.min(32, 256 - s) }, (_, k) => (s + k).toString(16).padStart(2, '0'));
          const pages = await Promise.all(shards.map((shard) => run(`SELECT id FROM ${ks}.objects WHERE shard = ? AND id > ? LIMIT ?`, [shard, after, LIST_PAGE + 1])));
          for (const p of pages) for (const r of p.rows) if (out.length <= LIST_PAGE) out.push(r.id as string);
        }
        return out;
      });
      after = page.length > LIST_PAGE ? page[LIST_PAGE - 1] : '';
    }
  });

  const cas = async (repo: string, old: string | null, next: string) => {
    const r = await run(`UPDATE ${ks}.refs SET target = ? WHERE repo = ? AND ref = ? IF target = ?`, [next, repo, Buffer.from('refs/heads/main'), old]);
    if (!r.wasApplied()) fail('compare-and-swap lost');
  };

  await measure('ref_cas', async (t) => {
    let current: string | null = null;
    for (let i = 0; i < counts.ref_cas; i++) {
      const next = ids[(i + 1) % ids.length];
      const old = current;
      await t.time(() => cas('cas', old, next));
      current = next;
    }
  });

  await measure('transaction', async (t) => {
    let current: string | null = null;
    for (let i = 0; i < counts.transaction; i++) {
      const data = blobs.next();
      const old = current;
      current = await t.time(async () => {
        const id = await putOne(data);
        await cas('tx', old, id);
        const now = Date.now();
        const record = Buffer.from(JSON.stringify({ id: randomBytes(16).toString('hex'), action: 'push', repositoryId: 'tx', details: {} }));
        await run(`INSERT INTO ${ks}.events (day, ts, id, record) VALUES (?, ?, ?, ?)`, [Math.floor(now / 86_400_000), now, randomBytes(16).toString('hex'), record]);
        return id;
      });
    }
  });

  return results;
}
