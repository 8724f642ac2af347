/**
 * Object entries (see ObjectEntry): one document per id holding the entry's
 * fields and bytes; an entry too large for a document keeps its bytes in
 * GridFS, written and read as a stream of chunks. Entries are write-once by
 * id, so they are stored directly, outside the commit log: an insert that
 * finds the id taken keeps the first entry. Lookups are one equality query
 * per id ($in and ranges are not pushed down to PostgreSQL by FerretDB 1.24:
 * they would read a whole collection), run a few at a time.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Binary, type Collection, type ObjectId } from 'mongodb';
import { ignoreDuplicate, type Collections, type ObjectDoc } from './collections.js';
import type { ObjectEntry, ObjectEncoding, ObjectStat, ObjectType } from '../../types.js';

/** Bytes per insertMany: a batch stays well under the 48 MB message limit. */
const BATCH_BYTES = 8 * 1024 * 1024;
/** Concurrent lookups per call. */
const PARALLEL = 16;

/** fn over items, at most PARALLEL at a time, results in order. */
async function each<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, items.length) }, worker));
  return out;
}

function byShard<T>(c: Collections, items: T[], idOf: (t: T) => string): Map<Collection<ObjectDoc>, T[]> {
  const out = new Map<Collection<ObjectDoc>, T[]>();
  for (const item of items) {
    const coll = c.objectsFor(idOf(item));
    const list = out.get(coll);
    if (list) list.push(item);
    else out.set(coll, [item]);
  }
  return out;
}

function bytesOf(doc: ObjectDoc): Uint8Array {
  const b = doc.bytes as Binary | undefined;
  if (!b) return new Uint8Array(0);
  return b instanceof Binary ? b.buffer.subarray(0, b.position) : (b as Buffer);
}

async function readFile(c: Collections, file: ObjectId, length: number): Promise<Uint8Array> {
  const out = Buffer.allocUnsafe(length);
  let at = 0;
  for await (const chunk of c.bucket.openDownloadStream(file)) {
    (chunk as Buffer).copy(out, at);
    at += (chunk as Buffer).length;
  }
  if (at !== length) throw new Error(`GridFS file ${String(file)} holds ${at} bytes, expected ${length}`);
  return out;
}

async function writeFile(c: Collections, entry: ObjectEntry): Promise<ObjectId> {
  const upload = c.bucket.openUploadStream(entry.id, { metadata: { object: entry.id } });
  // Chunked through the driver's stream: never one message larger than a GridFS chunk.
  await pipeline(Readable.from(chunks(entry.bytes, 1024 * 1024)), upload);
  return upload.id;
}

function* chunks(bytes: Uint8Array, size: number): Generator<Buffer> {
  for (let at = 0; at < bytes.byteLength; at += size) yield Buffer.from(bytes.buffer, bytes.byteOffset + at, Math.min(size, bytes.byteLength - at));
}

async function toDoc(c: Collections, entry: ObjectEntry, gridfsThreshold: number): Promise<ObjectDoc> {
  const doc: ObjectDoc = { _id: entry.id, type: entry.type, size: entry.size, enc: entry.encoding, base: entry.base, n: entry.bytes.byteLength };
  if (entry.bytes.byteLength > gridfsThreshold) doc.file = await writeFile(c, entry);
  else doc.bytes = Buffer.from(entry.bytes.buffer, entry.bytes.byteOffset, entry.bytes.byteLength);
  return doc;
}

/** Stores entries; an id already present keeps its entry unless `replace`. */
export async function putObjects(c: Collections, entries: Array<{ entry: ObjectEntry; replace: boolean }>, gridfsThreshold: number): Promise<void> {
  const fresh = entries.filter((e) => !e.replace).map((e) => e.entry);
  // GridFS uploads only for ids not stored yet: a large object put twice is uploaded once.
  const large = fresh.filter((e) => e.bytes.byteLength > gridfsThreshold);
  const present = await hasObjects(c, large.map((e) => e.id));
  const skip = new Set(large.filter((_, i) => present[i]).map((e) => e.id));
  for (const [coll, list] of byShard(c, fresh, (e) => e.id)) {
    let batch: ObjectDoc[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length) await coll.insertMany(batch, { ordered: false }).catch(ignoreDuplicate);
      batch = [];
      batchBytes = 0;
    };
    for (const entry of list) {
      if (skip.has(entry.id)) continue;
      const doc = await toDoc(c, entry, gridfsThreshold);
      if (doc.file !== undefined) {
        await coll.insertOne(doc).catch(async (err) => {
          await c.bucket.delete(doc.file as ObjectId);
          ignoreDuplicate(err);
        });
        continue;
      }
      if (batchBytes + doc.n > BATCH_BYTES) await flush();
      batch.push(doc);
      batchBytes += doc.n;
    }
    await flush();
  }
  for (const { entry } of entries.filter((e) => e.replace)) {
    const coll = c.objectsFor(entry.id);
    const old = await coll.findOne({ _id: entry.id }, { projection: { file: 1 } });
    await coll.replaceOne({ _id: entry.id }, await toDoc(c, entry, gridfsThreshold), { upsert: true });
    if (old?.file) await c.bucket.delete(old.file as ObjectId).catch(() => undefined);
  }
}

export async function deleteObjects(c: Collections, ids: string[]): Promise<void> {
  await each(ids, async (id) => {
    const coll = c.objectsFor(id);
    const old = await coll.findOne({ _id: id }, { projection: { file: 1 } });
    if (!old) return;
    await coll.deleteOne({ _id: id });
    if (old.file) await c.bucket.delete(old.file as ObjectId).catch(() => undefined);
  });
}

export async function getEntries(c: Collections, ids: string[]): Promise<Map<string, ObjectEntry>> {
  const docs = await each(ids, (id) => c.objectsFor(id).findOne({ _id: id }));
  const out = new Map<string, ObjectEntry>();
  for (const doc of docs) {
    if (!doc) continue;
    const bytes = doc.file !== undefined ? await readFile(c, doc.file as ObjectId, doc.n) : bytesOf(doc);
    out.set(doc._id, { id: doc._id, type: doc.type as ObjectType, size: doc.size, encoding: doc.enc as ObjectEncoding, base: doc.base, bytes });
  }
  return out;
}

export async function hasObjects(c: Collections, ids: string[]): Promise<boolean[]> {
  return each(ids, async (id) => (await c.objectsFor(id).countDocuments({ _id: id }, { limit: 1 })) > 0);
}

export async function statObject(c: Collections, id: string): Promise<ObjectStat | undefined> {
  const doc = await c.objectsFor(id).findOne({ _id: id }, { projection: { type: 1, size: 1 } });
  return doc ? { id, type: doc.type as ObjectType, size: doc.size } : undefined;
}

/** The shards that can hold ids starting with `prefix`, in id order. */
function shardsFor(c: Collections, prefix: string): Array<Collection<ObjectDoc>> {
  const d = c.layout.shardDigits;
  if (d === 0) return c.objectShards;
  if (prefix.length >= d) return [c.objectsFor(prefix)];
  const span = 16 ** (d - prefix.length);
  const first = prefix.length === 0 ? 0 : parseInt(prefix, 16) * span;
  return c.objectShards.slice(first, first + span);
}

/** Object ids are lowercase hex, so string ranges are byte order everywhere. */
export async function listObjectIds(c: Collections, range: { prefix: string; after?: string; limit: number }): Promise<string[]> {
  const out: string[] = [];
  const lower = range.after !== undefined && range.after >= range.prefix ? { $gt: range.after } : { $gte: range.prefix };
  const filter = { _id: { ...lower, $lt: range.prefix + 'g' } };
  const d = c.layout.shardDigits;
  for (const coll of shardsFor(c, range.prefix)) {
    if (out.length >= range.limit) break;
    // Shards wholly before the cursor hold nothing after it.
    if (d > 0 && range.after !== undefined && coll.collectionName.slice(-d) < range.after.slice(0, d)) continue;
    const docs = await coll.find(filter, { projection: { _id: 1 }, sort: { _id: 1 }, limit: range.limit - out.length }).toArray();
    for (const doc of docs) out.push(doc._id);
  }
  return out;
}

export async function listDependents(c: Collections, baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
  const filter = range.after === undefined ? { base: baseId } : { base: baseId, _id: { $gt: range.after } };
  const found = await each(c.objectShards, (coll) => coll.find(filter, { projection: { _id: 1 }, sort: { _id: 1 }, limit: range.limit }).toArray());
  return found.flat().map((d) => d._id).sort().slice(0, range.limit);
}

export async function countObjects(c: Collections): Promise<{ count: number; bytes: number }> {
  const per = await each(c.objectShards, async (coll) => {
    let count = 0;
    let bytes = 0;
    // Summed here, not by $group: FerretDB 1.24 gave $sum of a field as 0 (see the analytics tests).
    for await (const d of coll.find({}, { projection: { _id: 0, n: 1 } })) {
      count++;
      bytes += d.n;
    }
    return { count, bytes };
  });
  return per.reduce((a, b) => ({ count: a.count + b.count, bytes: a.bytes + b.bytes }), { count: 0, bytes: 0 });
}
