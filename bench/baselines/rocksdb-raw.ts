/**
 * The raw RocksDB baseline of `govc datastore bench`: the same work as each
 * bench op (same counts, same blob sizes, the same keys and values as the
 * rocksdb store: o:<id>, r:<repo>\0<ref>, e:<time><id> with an index entry
 * per repository and action, same open options) as a plain loop over
 * @nxtedition/rocksdb, with no DataStore in between. The ratio of the store's
 * figures to these is the cost of our layer, not of RocksDB.
 *
 * The phases are written once here over a small RawKv interface, and the
 * LMDB baseline (lmdb-raw.ts) reuses them with lmdb-js underneath.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { BlobSource } from '../../src/bench/blobs.js';
import { BATCH_SIZE, LIST_PAGE, opCounts, type BenchOp } from '../../src/bench/ops.js';
import { Timings } from '../../src/bench/timings.js';
import { loadRocksDb } from '../../src/datastore/stores/rocksdb/binding.js';
import { type BaselineOptions, type BaselineResult, gitBlobId, shuffled } from './common.js';

export type { BaselineOptions, BaselineResult } from './common.js';

/** What the phases need from a raw binding. Reads may answer synchronously. */
export interface RawKv {
  get(key: Buffer): Promise<Buffer | undefined> | Buffer | undefined;
  getMany(keys: Buffer[]): Promise<Array<Buffer | undefined>> | Array<Buffer | undefined>;
  /** One durable, atomic write of puts. */
  put(entries: Array<[Buffer, Buffer]>): Promise<void>;
  /** Keys in (gt, lt), ascending or descending, at most `limit`. */
  keys(gt: Buffer, lt: Buffer, limit: number, reverse: boolean): Promise<Buffer[]> | Buffer[];
  /** Reads `key` and, when `decide` returns puts, writes them atomically with the read; false when it declined. */
  checkAndPut(key: Buffer, decide: (current: Buffer | undefined) => Array<[Buffer, Buffer]> | undefined): Promise<boolean>;
}

/** Repositories the metadata query phase spreads events over, as in the bench. */
const QUERY_REPOSITORIES = 100;
const ACTIONS = ['push', 'fetch', 'clone', 'settings'];
const BLOB_TYPE = 1;

async function timed<T>(t: Timings, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const result = await fn();
  t.record(performance.now() - start);
  return result;
}

const objectKey = (id: string) => Buffer.from(`o:${id}`, 'latin1');
const refKey = (repo: string, name: string) => Buffer.concat([Buffer.from(`r:${repo}`), Buffer.of(0), Buffer.from(name)]);
const repoIndexPrefix = (repo: string) => Buffer.concat([Buffer.from(`xer:${repo}`), Buffer.of(0)]);

function time8(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(ms) + (1n << 63n));
  return b;
}

function objectValue(data: Buffer): Buffer {
  return Buffer.concat([Buffer.of(BLOB_TYPE), data]);
}

/** The keys and values one audit event writes: its record and its repository and action index entries. */
function eventEntries(seq: number, action: string, repo: string, resource: string): Array<[Buffer, Buffer]> {
  const now = Date.now();
  const id = `${now.toString(16).padStart(12, '0')}${seq.toString(16).padStart(14, '0')}`;
  const suffix = Buffer.concat([time8(now), Buffer.from(id)]);
  const record = Buffer.from(JSON.stringify({ id, timestamp: now, userId: null, action, resource, repositoryId: repo, details: {} }));
  return [
    [Buffer.concat([Buffer.from('e:'), suffix]), record],
    [Buffer.concat([repoIndexPrefix(repo), suffix]), Buffer.alloc(0)],
    [Buffer.concat([Buffer.from(`xea:${action}`), Buffer.of(0), suffix]), Buffer.alloc(0)],
    [Buffer.concat([Buffer.from(`xes:${resource}`), Buffer.of(0), suffix]), Buffer.alloc(0)],
  ];
}

function fail(name: string, message: string): never {
  throw new Error(`${name} raw baseline: ${message}`);
}

/** Every bench phase over a raw key-value binding, timed op by op. */
export async function runRawKvPhases(name: string, kv: RawKv, options: BaselineOptions): Promise<BaselineResult[]> {
  const counts = opCounts(options.objects);
  const blobs = new BlobSource(options.size);
  const results: BaselineResult[] = [];
  const measure = async (op: BenchOp, body: (t: Timings) => Promise<void>) => {
    const t = new Timings(counts[op]);
    await body(t);
    const s = t.summary();
    results.push({ op, opsPerSec: s.opsPerSec, p50Ms: s.p50Ms, p99Ms: s.p99Ms });
  };
  const putOne = async (data: Buffer): Promise<string> => {
    const id = gitBlobId(data);
    await kv.put([[objectKey(id), objectValue(data)]]);
    return id;
  };
  let seq = 0;

  const ids: string[] = [];
  await measure('put', async (t) => {
    for (let i = 0; i < counts.put; i++) {
      const data = blobs.next();
      ids.push(await timed(t, () => putOne(data)));
    }
  });

  await measure('get', async (t) => {
    for (const i of shuffled(ids.length)) {
      const v = await timed(t, () => kv.get(objectKey(ids[i])));
      if (!v || v.byteLength !== options.size + 1) fail(name, `get of ${ids[i]} did not return its blob`);
    }
  });

  await measure('has', async (t) => {
    for (const i of shuffled(ids.length)) {
      if ((await timed(t, () => kv.get(objectKey(ids[i])))) === undefined) fail(name, `has of ${ids[i]} said no`);
    }
  });

  await measure('batch_put_1000', async (t) => {
    for (let i = 0; i < counts.batch_put_1000; i++) {
      const batch = Array.from({ length: BATCH_SIZE }, () => blobs.next());
      await timed(t, () => kv.put(batch.map((data) => [objectKey(gitBlobId(data)), objectValue(data)])));
    }
  });

  await measure('list', async (t) => {
    const start = Buffer.from('o:');
    const end = Buffer.from('o;');
    let after: Buffer = start;
    for (let i = 0; i < counts.list; i++) {
      // One more than the page, as a cursor-paged list asks, to know whether more follow.
      const page = await timed(t, () => kv.keys(after, end, LIST_PAGE + 1, false));
      if (page.length === 0) fail(name, 'list returned nothing');
      after = page.length > LIST_PAGE ? page[LIST_PAGE - 1] : start;
    }
  });

  const refValue = (id: string) => Buffer.from(`d${id}`);
  await measure('ref_cas', async (t) => {
    const repo = randomBytes(16).toString('hex');
    const k = refKey(repo, 'refs/heads/main');
    let current = ids[0];
    await kv.put([[k, refValue(current)]]);
    for (let i = 0; i < counts.ref_cas; i++) {
      const next = ids[(i + 1) % ids.length];
      const old = refValue(current);
      const ok = await timed(t, () => kv.checkAndPut(k, (v) => (v?.equals(old) ? [[k, refValue(next)]] : undefined)));
      if (!ok) fail(name, 'compare-and-swap lost');
      current = next;
    }
  });

  await measure('metadata_query', async (t) => {
    const repositories = Array.from({ length: QUERY_REPOSITORIES }, () => randomBytes(16).toString('hex'));
    for (let start = 0; start < counts.metadata_query; start += 1000) {
      const entries: Array<[Buffer, Buffer]> = [];
      for (let e = start; e < Math.min(counts.metadata_query, start + 1000); e++) {
        entries.push(...eventEntries(seq++, ACTIONS[e % ACTIONS.length], repositories[e % repositories.length], 'refs/heads/main'));
      }
      await kv.put(entries);
    }
    for (let i = 0; i < counts.metadata_query; i++) {
      const repo = repositories[Math.floor(Math.random() * repositories.length)];
      const prefix = repoIndexPrefix(repo);
      const events = await timed(t, async () => {
        // Newest first through the repository index, 64 keys at a time; records fetched with one multi-get and filtered on action, 21 wanted.
        const found: Array<{ action: string; repositoryId: string }> = [];
        let upper: Buffer = Buffer.concat([prefix, Buffer.of(0xff)]);
        while (found.length < 21) {
          const keys = await kv.keys(prefix, upper, 64, true);
          const records = await kv.getMany(keys.map((k) => Buffer.concat([Buffer.from('e:'), k.subarray(prefix.length)])));
          for (const record of records) {
            const e = JSON.parse(record!.toString()) as { action: string; repositoryId: string };
            if (e.action === 'push') found.push(e);
            if (found.length >= 21) break;
          }
          if (keys.length < 64) break;
          upper = keys[keys.length - 1];
        }
        return found;
      });
      if (events.some((e) => e.repositoryId !== repo)) fail(name, 'metadata query returned events outside its filter');
    }
  });

  await measure('transaction', async (t) => {
    const repo = randomBytes(16).toString('hex');
    const k = refKey(repo, 'refs/heads/main');
    let current: Buffer | undefined;
    for (let i = 0; i < counts.transaction; i++) {
      const data = blobs.next();
      const old = current;
      const ok = await timed(t, () => {
        const id = gitBlobId(data);
        return kv.checkAndPut(k, (v) => {
          if (old === undefined ? v !== undefined : !v?.equals(old)) return undefined;
          current = refValue(id);
          return [[objectKey(id), objectValue(data)], [k, current], ...eventEntries(seq++, 'push', repo, 'refs/heads/main')];
        });
      });
      if (!ok) fail(name, 'transaction compare-and-swap lost');
    }
  });

  return results;
}

/** The rocksdb store's defaults: ZSTD, 10-bit bloom filters, 64 MiB block cache, WAL without fsync. */
export async function runRocksdbBaseline(options: BaselineOptions): Promise<BaselineResult[]> {
  const dir = join(options.dir, `rocksdb-raw-baseline-${randomBytes(4).toString('hex')}`);
  const { RocksLevel } = loadRocksDb();
  const db = new RocksLevel(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open({ createIfMissing: true, compression: true, filterPolicy: 'bloomfilter:10:false', cacheSize: 64 * 1024 ** 2 });
  const write = (entries: Array<[Buffer, Buffer]>) => db.batch(entries.map(([key, value]) => ({ type: 'put' as const, key, value })), { sync: false });
  const kv: RawKv = {
    get: async (key) => (await db.getMany([key]))[0],
    getMany: (keys) => db.getMany(keys),
    put: write,
    keys: async (gt, lt, limit, reverse) => {
      const it = db.iterator({ gt, lt, limit, reverse, values: false, keyEncoding: 'buffer', valueEncoding: 'buffer' });
      try {
        return (await it.nextv(limit)).map(([k]) => k);
      } finally {
        await it.close();
      }
    },
    // One loop is the only writer, so read-then-write is atomic here without a lock.
    checkAndPut: async (key, decide) => {
      const puts = decide((await db.getMany([key]))[0]);
      if (!puts) return false;
      await write(puts);
      return true;
    },
  };
  try {
    return await runRawKvPhases('rocksdb', kv, options);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
