/**
 * The commit log: the one place writers synchronise. A write plans its
 * changes against the snapshot at the log's head N, then inserts log entry
 * N+1; the unique _id lets exactly one writer take each sequence number (the
 * only primitive FerretDB keeps atomic across connections: its
 * findOneAndUpdate and $inc compare-and-swap lose updates under a pool). A
 * loser re-plans on the new head, so a stale compare-and-swap becomes a
 * ConflictError. The winner then applies its entry; an entry left unapplied
 * (a writer that crashed) is applied by the next writer, or by a reader that
 * finds it stale, before anything else: every mutation is idempotent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ignoreDuplicate, isDuplicateKey, type Collections, type LogDoc, type Mutation, type RecordMutation } from './collections.js';
import { CURRENT, versionId, type RecordDoc } from './records.js';
import { deleteObjects } from './objects.js';
import { byKeys } from './by-key.js';
import { dropOrphanParts, dropParts, mutationsOf, partsNeedRenewal, storeMutations, type StoredMutations } from './log-parts.js';

/** A reader applies an unapplied head entry itself once it is this old (its writer has probably died). */
const STALE_MS = 1000;

/** A planned write: its mutations, and how it stands after another commit took its place. */
export interface Plan {
  muts: Mutation[];
  /** Throws ConflictError when `winner` made the plan fail; 'valid' when the plan holds after it. */
  judge(winner: Mutation[]): 'valid' | 'replan';
}

export class CommitLog {
  private commits = 0;

  constructor(
    private readonly c: Collections,
    private readonly retentionMs: number,
  ) {}

  /** The newest entry seen, and whether it was applied then: where the next head lookup starts. */
  private hint: { seq: number; done: boolean } | undefined;

  /**
   * The log's newest entry. Found by _id equality from the last one seen,
   * never by a sort: FerretDB 1.24 pushes only equality filters down to
   * PostgreSQL and sorts in memory, so a sorted query reads the whole log.
   */
  private async head(): Promise<LogDoc> {
    let doc: LogDoc | null = null;
    if (!this.hint) {
      doc = await this.c.log.find({}, { sort: { _id: -1 }, limit: 1 }).next();
      if (!doc) throw new Error('the commit log has no entries: the store was not prepared');
    } else if (!this.hint.done) {
      doc = await this.c.log.findOne({ _id: this.hint.seq });
    }
    let seq = doc?._id ?? this.hint!.seq;
    for (;;) {
      const next = await this.c.log.findOne({ _id: seq + 1 });
      if (!next) break;
      doc = next;
      seq = next._id;
    }
    // The hinted entry was applied and nothing follows it: it is still the head (its mutations are not needed).
    if (!doc && this.hint?.done) doc = { _id: seq, muts: [], done: true, at: 0 };
    if (!doc) {
      // Trimmed under us (another process's retention): start again from a full lookup.
      this.hint = undefined;
      return this.head();
    }
    this.hint = { seq: doc._id, done: doc.done };
    return doc;
  }

  /** The sequence a reader's snapshot uses: the newest applied commit. */
  async snapshot(): Promise<number> {
    const head = await this.head();
    if (head.done) return head._id;
    if (Date.now() - head.at > STALE_MS) {
      await this.apply(head);
      return head._id;
    }
    return head._id - 1;
  }

  /** Waits until entry `seq` is applied (by its writer, or by us once it looks abandoned). */
  private async settled(seq: number): Promise<void> {
    for (let wait = 1; ; wait = Math.min(wait * 2, 32)) {
      const entry = await this.c.log.findOne({ _id: seq });
      if (!entry || entry.done) return;
      if (Date.now() - entry.at > STALE_MS) return this.apply(entry);
      await sleep(wait * (0.5 + Math.random()));
    }
  }

  /**
   * Runs `plan` on the newest snapshot until its mutations take the next
   * sequence number; then applies them. `plan` throws to refuse the write
   * (a stale compare-and-swap, a taken name), and returns no mutations for
   * no change. When another writer takes the sequence first, `judge` looks
   * at what that writer did: it throws the ConflictError our plan would now
   * meet (no second plan needed), says the plan still holds (retry it on the
   * next sequence), or asks for a new plan.
   */
  async commit(plan: (snapshot: number) => Promise<Plan>): Promise<number | undefined> {
    let planned: Plan | undefined;
    let stored: StoredMutations | undefined;
    let seq = -1;
    for (let attempt = 0; ; attempt++) {
      if (!planned) {
        const head = await this.head();
        if (!head.done) await this.settled(head._id);
        seq = head._id;
        planned = await plan(seq);
        if (planned.muts.length === 0) return undefined;
        stored = await storeMutations(this.c, planned.muts);
      } else if (partsNeedRenewal(stored!)) {
        // Parts this old may be taken for a dead writer's by another process's trim: write them again.
        await dropParts(this.c, stored!);
        stored = await storeMutations(this.c, planned.muts);
      }
      const { muts, w, parts } = stored!;
      const entry: LogDoc = { _id: seq + 1, muts, ...(w ? { w, parts } : {}), done: false, at: Date.now() };
      // Any error but a taken sequence leaves the parts alone: the insert may have landed unseen (they go as orphans if not).
      if (await this.take(entry)) {
        await this.apply(entry, planned.muts);
        if (++this.commits % 64 === 0) await this.trim().catch(() => undefined);
        return entry._id;
      }
      // Another writer took seq + 1, so our parts are named by no entry: drop them when the plan fails or changes.
      try {
        const winner = await this.c.log.findOne({ _id: seq + 1 });
        const verdict = winner ? planned.judge(await mutationsOf(this.c, winner)) : 'replan';
        await this.settled(seq + 1);
        if (verdict === 'valid') seq++;
        else {
          await dropParts(this.c, stored!);
          planned = undefined;
        }
      } catch (err) {
        await dropParts(this.c, stored!).catch(() => undefined);
        throw err;
      }
      await sleep(Math.random() * Math.min(2 ** attempt, 20));
    }
  }

  /** Inserts `entry`: true when it took its sequence number, false when another writer has it. */
  private async take(entry: LogDoc): Promise<boolean> {
    try {
      await this.c.log.insertOne(entry);
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  /** Puts an entry's mutations in place; safe to run any number of times, by anyone. */
  async apply(entry: LogDoc, muts?: Mutation[]): Promise<void> {
    const n = entry._id;
    const versions: RecordDoc[] = [];
    const superseded: string[] = [];
    const events = [];
    const objects: string[] = [];
    for (const m of muts ?? (await mutationsOf(this.c, entry))) {
      // An event is visible to snapshots from the commit that appends it.
      if (m.c === 'e') events.push({ ...m.doc, s: n });
      else if (m.c === 'o') objects.push(m.k);
      else {
        const r = m as RecordMutation;
        if (r.prev) superseded.push(r.prev);
        if (r.v !== null) versions.push({ _id: versionId(r.c, r.g, r.k, n), c: r.c, g: r.g, k: r.k, s: n, sup: CURRENT, v: r.v, ...(r.f ?? { kx: '' }) });
      }
    }
    // New versions before the old are marked superseded: a point read (newest current version)
    // never finds none. Snapshot readers see neither until the entry is marked done.
    await Promise.all([
      versions.length > 0 && this.c.records.insertMany(versions, { ordered: false }).catch(ignoreDuplicate),
      events.length > 0 && this.c.events.insertMany(events, { ordered: false }).catch(ignoreDuplicate),
      objects.length > 0 && deleteObjects(this.c, objects),
    ]);
    // Only current versions are superseded: that equality narrows what FerretDB reads for an $in batch.
    await byKeys(
      superseded,
      async (id) => [await this.c.records.updateOne({ _id: id }, { $set: { sup: n } })],
      async (ids) => [await this.c.records.updateMany({ sup: CURRENT, _id: ids }, { $set: { sup: n } })],
    );
    await this.c.log.updateOne({ _id: n }, { $set: { done: true } });
    if (this.hint?.seq === n) this.hint.done = true;
  }

  /** Entries after `after`, applied ones only, in order, with their mutations: what a change feed reads. */
  async entriesAfter(after: number, limit = 256): Promise<LogDoc[]> {
    const entries = await this.c.log.find({ _id: { $gt: after }, done: true }, { sort: { _id: 1 }, limit }).toArray();
    for (const entry of entries) entry.muts = await mutationsOf(this.c, entry);
    return entries;
  }

  /** Drops versions superseded, and log entries written, longer ago than the retention. */
  async trim(): Promise<void> {
    const cutoff = await this.c.log.find({ at: { $lt: Date.now() - this.retentionMs }, done: true }, { sort: { _id: -1 }, limit: 1 }).next();
    if (!cutoff) return;
    await this.c.records.deleteMany({ sup: { $lte: cutoff._id } });
    await this.c.log.deleteMany({ _id: { $lt: cutoff._id } });
    await dropOrphanParts(this.c);
  }
}
