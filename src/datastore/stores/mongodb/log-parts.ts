/**
 * Commits too large for one document. A log entry holds at most 16 MiB, and
 * one write can be larger: a push or an import whose commit index has tens of
 * thousands of rows. Such a commit's mutations go first into part documents
 * keyed by a write id; the log entry that takes the sequence number (still
 * the one commit point) names the write id and the number of parts instead
 * of holding the mutations. Parts without an entry (a writer that lost its
 * sequence or died before inserting it) are removed by the writer or, later,
 * by the log's trim.
 */
import { randomUUID } from 'node:crypto';
import { BSON } from 'mongodb';
import type { Collections, LogDoc, Mutation } from './collections.js';

/** Mutations above this size (BSON bytes) go to parts; well under a document's 16 MiB, leaving room for the entry's fields. */
const INLINE_BYTES = 8 * 1024 * 1024;
/** The size of one part: several per commit, each far from the limit. */
const PART_BYTES = 4 * 1024 * 1024;

/** Parts that no log entry names after this long are a dead or losing writer's (a writer renews its own at half of it). */
const ORPHAN_PARTS_MS = 60 * 60 * 1000;

/** What the log entry carries of a commit's mutations, and when its parts were written. */
export type StoredMutations = Pick<LogDoc, 'muts' | 'w' | 'parts'> & { at?: number };

/** Keeps `muts` inline when they fit, else writes them as parts and returns the entry's reference to them. */
export async function storeMutations(c: Collections, muts: Mutation[]): Promise<StoredMutations> {
  if (BSON.calculateObjectSize({ muts }) <= INLINE_BYTES) return { muts };
  const w = randomUUID();
  const at = Date.now();
  let i = 0;
  let part: Mutation[] = [];
  let bytes = 0;
  const flush = async () => {
    await c.logParts.insertOne({ _id: `${w}:${i}`, w, i, muts: part, at });
    i++;
    part = [];
    bytes = 0;
  };
  for (const m of muts) {
    const size = BSON.calculateObjectSize({ m });
    if (bytes + size > PART_BYTES && part.length > 0) await flush();
    part.push(m);
    bytes += size;
  }
  if (part.length > 0) await flush();
  return { muts: [], w, parts: i, at };
}

/** A log entry's mutations, read back from its parts when it has them. */
export async function mutationsOf(c: Collections, entry: LogDoc): Promise<Mutation[]> {
  if (!entry.parts) return entry.muts;
  const out: Mutation[] = [];
  // One equality lookup per part (FerretDB pushes down only equality filters).
  for (let i = 0; i < entry.parts; i++) {
    const part = await c.logParts.findOne({ _id: `${entry.w}:${i}` });
    if (!part) throw new Error(`commit ${entry._id} of the mongodb store lost part ${i} of its mutations (log_parts ${entry.w}:${i})`);
    out.push(...part.muts);
  }
  return out;
}

/** Removes the parts of a write that did not take a sequence number. */
export async function dropParts(c: Collections, stored: StoredMutations): Promise<void> {
  if (stored.w) await c.logParts.deleteMany({ w: stored.w });
}

/** Whether a waiting writer must write its parts again before another process's trim may take them for orphans. */
export function partsNeedRenewal(stored: StoredMutations): boolean {
  return stored.at !== undefined && Date.now() - stored.at > ORPHAN_PARTS_MS / 2;
}

/** Removes parts older than ORPHAN_PARTS_MS whose write no remaining log entry names: losers and crashed writers. */
export async function dropOrphanParts(c: Collections): Promise<void> {
  const old = await c.logParts.find({ at: { $lt: Date.now() - ORPHAN_PARTS_MS }, i: 0 }, { projection: { w: 1 } }).toArray();
  if (old.length === 0) return;
  const named = new Set((await c.log.find({ parts: { $gt: 0 } }, { projection: { w: 1 } }).toArray()).map((e) => e.w));
  for (const { w } of old) if (!named.has(w)) await c.logParts.deleteMany({ w });
}
