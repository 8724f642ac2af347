/** The store's collections in its database, and the indexes they need. */
import { GridFSBucket, type Collection, type Db, type Document } from 'mongodb';
import type { RecordDoc } from './records.js';

/** One commit of the log: what it changes, and whether it has been applied. */
export interface LogDoc {
  _id: number;
  /** On entry 0 only: the layout the store was created with. */
  layout?: Layout;
  /** The commit's mutations; empty when they are kept in `parts` part documents of write `w` (log-parts.ts). */
  muts: Mutation[];
  w?: string;
  parts?: number;
  /** Every mutation is in place (readers at this sequence see it all). */
  done: boolean;
  /** Epoch ms, for retention. */
  at: number;
}

/** Part `i` of the mutations of write `w`, a commit too large for one log entry. */
export interface LogPartDoc {
  _id: string;
  w: string;
  i: number;
  muts: Mutation[];
  /** Epoch ms, for removing the parts of writes that never took a sequence. */
  at: number;
}

/** A record change: a new version (v set) or a deletion (v null); `prev` is the version it supersedes. */
export interface RecordMutation {
  c: RecordDoc['c'];
  g: string;
  k: string;
  prev: string | null;
  v: string | null;
  f?: Omit<RecordDoc, '_id' | 'c' | 'g' | 'k' | 's' | 'sup' | 'v'>;
  /** The ref's old target, for change events. */
  old?: string | null;
}

export type Mutation = RecordMutation | { c: 'e'; doc: EventDoc } | { c: 'o'; k: string };

export interface EventDoc {
  _id: string;
  /** The commit that appended it: visible to snapshots at or after it. */
  s: number;
  ts: number;
  /** Hex of the id: (ts, ix) is the byte-order position. */
  ix: string;
  userId: string | null;
  action: string;
  resource: string | null;
  /** Hex of the resource, for prefix ranges in byte order. */
  rx: string | null;
  repositoryId: string | null;
  details: string;
}

export interface ObjectDoc {
  _id: string;
  type: string;
  size: number;
  enc: number;
  base: string | null;
  /** The entry's bytes, or absent when they live in GridFS under `file`. */
  bytes?: Buffer | { buffer: Uint8Array };
  file?: unknown;
  /** Stored length in bytes. */
  n: number;
}

/** Fixed when a store is created, kept in log entry 0. */
export interface Layout {
  /**
   * Object entries are spread over 16^shardDigits collections by the first
   * hex digits of their id. On FerretDB (which filters by a scan) that keeps
   * each lookup to one small table; on MongoDB one indexed collection is best.
   */
  shardDigits: number;
}

export interface Collections {
  db: Db;
  log: Collection<LogDoc>;
  logParts: Collection<LogPartDoc>;
  records: Collection<RecordDoc>;
  events: Collection<EventDoc>;
  bucket: GridFSBucket;
  layout: Layout;
  /** Every object collection, in id order. */
  objectShards: Array<Collection<ObjectDoc>>;
  /** The object collection holding `id`. */
  objectsFor(id: string): Collection<ObjectDoc>;
  /** Whether indexes help (MongoDB) or only slow writes (FerretDB 1.24 filters by scanning). */
  secondaryIndexes: boolean;
}

export function collections(db: Db, layout: Layout, secondaryIndexes: boolean): Collections {
  const d = layout.shardDigits;
  const objectShards = d === 0
    ? [db.collection<ObjectDoc>('objects')]
    : Array.from({ length: 16 ** d }, (_, i) => db.collection<ObjectDoc>(`objects_${i.toString(16).padStart(d, '0')}`));
  return {
    db,
    log: db.collection<LogDoc>('log'),
    logParts: db.collection<LogPartDoc>('log_parts'),
    records: db.collection<RecordDoc>('records'),
    events: db.collection<EventDoc>('events'),
    bucket: new GridFSBucket(db, { bucketName: 'entries' }),
    layout,
    objectShards,
    objectsFor: d === 0 ? () => objectShards[0] : (id) => objectShards[parseInt(id.slice(0, d), 16)],
    secondaryIndexes,
  };
}

/** The layout of an existing store (from log entry 0), or undefined for a new one. */
export async function storedLayout(db: Db): Promise<Layout | undefined> {
  const first = await db.collection<LogDoc>('log').findOne({ _id: 0 });
  return first ? (first.layout ?? { shardDigits: 0 }) : undefined;
}

type IndexSpec = { key: Record<string, 1 | -1>; name: string };

const INDEXES: Array<['records' | 'events', IndexSpec[]]> = [
  ['records', [
    { key: { c: 1, g: 1, k: 1, s: -1 }, name: 'by_key' },
    { key: { c: 1, g: 1, kx: 1 }, name: 'by_sort_key' },
    { key: { c: 1, name: 1 }, name: 'by_name' },
    { key: { c: 1, email: 1 }, name: 'by_email' },
    { key: { sup: 1 }, name: 'by_superseded' },
  ]],
  ['events', [
    { key: { ts: 1, ix: 1 }, name: 'by_time' },
    { key: { action: 1, ts: 1 }, name: 'by_action' },
  ]],
];

async function ensureIndexes<T extends Document>(coll: Collection<T>, specs: IndexSpec[]): Promise<void> {
  const existing = new Set((await coll.listIndexes().toArray().catch(() => [])).map((i) => i.name as string));
  for (const spec of specs) if (!existing.has(spec.name)) await coll.createIndex(spec.key, { name: spec.name });
}

/**
 * Creates the missing indexes and the log's first entry, sequence 0.
 * One index per call, only those missing: FerretDB 1.24 panics (and drops
 * the connection) on a createIndexes of several indexes that already exist.
 */
export async function prepare(c: Collections): Promise<void> {
  if (c.secondaryIndexes) {
    for (const [name, specs] of INDEXES) await ensureIndexes(c.db.collection(name), specs);
    for (const shard of c.objectShards) await ensureIndexes(shard, [{ key: { base: 1, _id: 1 }, name: 'by_base' }]);
  }
  await c.log.insertOne({ _id: 0, layout: c.layout, muts: [], done: true, at: Date.now() }).catch(ignoreDuplicate);
}

export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: number; writeErrors?: Array<{ code?: number }> | { code?: number } };
  if (e?.code === 11000) return true;
  const writeErrors = e?.writeErrors;
  if (Array.isArray(writeErrors)) return writeErrors.length > 0 && writeErrors.every((w) => w.code === 11000);
  return writeErrors?.code === 11000;
}

export function ignoreDuplicate(err: unknown): void {
  if (!isDuplicateKey(err)) throw err;
}
