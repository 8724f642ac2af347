/**
 * Migrate: copies everything from a source store into a target, as a sorted
 * merge of both sides per kind, writing only what the target lacks (or holds
 * differently). Each batch carries the run's checkpoint (a position per kind,
 * and per object shard) in the same atomic write, so a killed run resumes at
 * its last batch; the merge itself also skips whatever is already there, so
 * an event is never appended twice even without the checkpoint.
 *
 * `incremental` makes the target mirror the source (it also deletes what is
 * only in the target). From a store with a change log (PostgreSQL, Redis:
 * change-log.ts) it copies only the keys logged since the last run
 * (log-copy.ts); the first run registers the target as a follower and copies
 * in full. From the other stores it merges from the start again (objects by
 * id, events from the last checkpoint less a window, the rest whole).
 */
import { createHash } from 'node:crypto';
import type { ProgressListener } from '../../git/progress.js';
import { ChangeLogTrimmedError, changeLogOf, type ChangeLog } from '../change-log.js';
import { checkCommitRow, type CommitIndexRow, type StoreWriteOp } from '../commit-index/index.js';
import type { WriteOp } from '../driver.js';
import { KEYSPACE } from '../keyspace.js';
import type { DataStore } from '../store.js';
import { copyFromLog, type LogCheckpoint } from './log-copy.js';
import { checkpointOp, readCheckpoint, recordOp, writeBatch } from './record-ops.js';
import type { RecordKind } from './records.js';
import { objectRecords } from './records.js';
import * as sorted from './sorted.js';
import { canonical, inParallel, mergeSorted, OBJECT_SHARDS, type Keyed, type Merged } from './sorted.js';
import type { Ref } from '../types.js';

export interface CopyOptions {
  /** Records per atomic write. */
  batchSize?: number;
  /** Object shards copied at once. */
  parallel?: number;
  incremental?: boolean;
  onProgress?: ProgressListener;
  /** Called after every batch written (tests and fault runs use it). */
  onBatch?: (kind: RecordKind) => void;
  /** Objects only, or everything else only (a lazy store copies records first, objects in the background). */
  kinds?: 'all' | 'objects' | 'records';
  /** Asked between batches; true ends the run early, its checkpoint kept. */
  stop?: () => boolean;
  /** Live passes: a ref is written only if the target's is still what the merge saw (a dual write may be newer). */
  guardRefs?: boolean;
  /** Incremental runs from a store with a change log: the name this target follows the log under (one per target). */
  follower?: string;
}

export interface CopySummary {
  copied: Record<RecordKind, number>;
  deleted: number;
  objectBytes: number;
  eventsAlreadyPresent: number;
  resumed: boolean;
  /** Set when the run copied what the source's change log named, rather than merging everything. */
  changeLog?: string;
}

/** Events written this long before the last copied one are merged again by --incremental (clocks of several servers differ). */
export const EVENT_OVERLAP_MS = 10 * 60_000;

interface Position {
  after?: string;
  done?: boolean;
}

/** The checkpoint keys of a migration from `sourceId` (a URI without password). */
export function checkpointPrefix(sourceId: string): string {
  return `${KEYSPACE.migration}copy.${createHash('sha256').update(sourceId).digest('hex').slice(0, 16)}.`;
}

export async function copyStore(source: DataStore, target: DataStore, sourceId: string, options: CopyOptions = {}): Promise<CopySummary> {
  const run = new CopyRun(source, target, checkpointPrefix(sourceId), options);
  try {
    return await run.go(sourceId);
  } catch (err) {
    if (err instanceof StoppedRun) return run.summary;
    throw err;
  }
}

/** Ends a run asked to stop, between two batches. */
class StoppedRun extends Error {}

class CopyRun {
  readonly summary: CopySummary = { copied: { object: 0, repository: 0, ref: 0, user: 0, event: 0, config: 0, commit: 0 }, deleted: 0, objectBytes: 0, eventsAlreadyPresent: 0, resumed: false };
  private readonly batchSize: number;
  private objectsTotal = 0;
  private objectsSeen = 0;

  constructor(
    private readonly source: DataStore,
    private readonly target: DataStore,
    private readonly prefix: string,
    private readonly options: CopyOptions,
  ) {
    this.batchSize = options.batchSize ?? 500;
  }

  async go(sourceId: string): Promise<CopySummary> {
    // live passes keep merging: their ref guard needs the target's value as the merge saw it
    const log = this.options.incremental && !this.options.guardRefs && (this.options.kinds ?? 'all') === 'all' ? changeLogOf(this.source.driver) : undefined;
    return log ? this.fromLog(log, sourceId) : this.merge(sourceId);
  }

  /** Follows the log from the checkpoint; copies in full (after registering, so nothing is missed) the first time, or when the log was trimmed past it. */
  private async fromLog(log: ChangeLog, sourceId: string): Promise<CopySummary> {
    const key = `${this.prefix}log`;
    const follower = this.options.follower ?? 'migrate';
    const at = await readCheckpoint<LogCheckpoint>(this.target, key);
    const copy = { source: this.source, target: this.target, log, checkpointKey: key, batchSize: this.batchSize, counts: this.summary, onBatch: this.options.onBatch, stop: () => this.stopped() };
    if (at?.follower === follower) {
      if (!(await copyFromLog(copy, at))) {
        throw new ChangeLogTrimmedError(
          `the source's change log (${log.changeLogName}) no longer holds what this target missed: follower ${follower} last applied position ${at.position}, and the log was trimmed past it (a follower silent longer than the source's change_log_retention, default 7d, is dropped). Run \`govc datastore migrate\` once without --incremental to copy everything again; the next --incremental run then follows the log anew`,
          { follower, position: at.position },
        );
      }
      this.summary.changeLog = log.changeLogName;
      return this.summary;
    }
    const head = await log.registerFollower(follower);
    await this.merge(sourceId);
    if (this.stopped()) return this.summary;
    await this.target.driver.write([checkpointOp(key, { follower, position: head } satisfies LogCheckpoint)]);
    await log.acknowledge(follower, head);
    return this.summary;
  }

  private async merge(sourceId: string): Promise<CopySummary> {
    const metaKey = `${this.prefix}meta`;
    const meta = await readCheckpoint<{ source: string; startedAt: string; completedAt?: string }>(this.target, metaKey);
    const fresh = !meta || meta.completedAt !== undefined || this.options.incremental === true;
    this.summary.resumed = !fresh;
    if (fresh) await this.target.driver.write([checkpointOp(metaKey, { source: sourceId, startedAt: new Date().toISOString() }), ...(await this.resetOps())]);
    const kinds = this.options.kinds ?? 'all';
    if (kinds !== 'records') {
      this.objectsTotal = (await this.source.metrics()).objectCount;
      await inParallel(OBJECT_SHARDS, this.options.parallel ?? 4, (shard) => this.objects(shard));
    }
    if (kinds !== 'objects') {
      await this.repositories();
      await this.users();
      await this.events();
      await this.config();
    }
    if (kinds === 'all' && !this.stopped()) await this.target.driver.write([checkpointOp(metaKey, { source: sourceId, startedAt: meta?.startedAt ?? new Date().toISOString(), completedAt: new Date().toISOString() })]);
    return this.summary;
  }

  /**
   * Positions of an earlier run cleared (events keep theirs: an incremental
   * run starts near it). The change log position stays for incremental runs;
   * a full run clears it, so the next incremental run follows the log anew.
   */
  private async resetOps(): Promise<WriteOp[]> {
    const keys: string[] = [];
    const keepLog = this.options.incremental === true;
    for await (const [key] of this.target.listConfig(this.prefix)) if (!key.endsWith('.meta') && !key.endsWith('.events') && !(keepLog && key.endsWith('.log'))) keys.push(key);
    return keys.map((key) => ({ op: 'setConfig', key, value: null }));
  }

  private position(kind: string): Promise<Position> {
    return readCheckpoint<Position>(this.target, `${this.prefix}${kind}`).then((p) => p ?? {});
  }

  private stopped(): boolean {
    return this.options.stop?.() === true;
  }

  private async write(kind: RecordKind, ops: StoreWriteOp[], checkpoint: string, position: Position): Promise<void> {
    if (this.stopped()) throw new StoppedRun();
    this.summary.eventsAlreadyPresent += await writeBatch(this.target, ops, checkpointOp(`${this.prefix}${checkpoint}`, position));
    this.options.onBatch?.(kind);
  }

  /** A delete that mirrors the source (incremental runs only). */
  private remove(ops: StoreWriteOp[], op: StoreWriteOp): void {
    ops.push(op);
    this.summary.deleted++;
  }

  private progress(phase: string, done: number, total = 0): void {
    this.options.onProgress?.({ phase, done, total });
  }

  private async objects(shard: string): Promise<void> {
    const at = await this.position(`objects.${shard}`);
    if (at.done) return;
    let missing: string[] = [];
    let last = at.after;
    const flush = async (done = false) => {
      const ops: WriteOp[] = [];
      for await (const record of objectRecords(this.source, missing)) {
        ops.push(recordOp(record, this.target));
        if (record.kind === 'object') this.summary.objectBytes += record.entry.bytes.byteLength;
      }
      this.summary.copied.object += ops.length;
      missing = [];
      await this.write('object', ops, `objects.${shard}`, { after: last, done });
    };
    const merged = mergeSorted(sorted.objectIds(this.source, shard, at.after), sorted.objectIds(this.target, shard, at.after), 'object ids');
    for await (const m of merged) {
      if (m.left === undefined) {
        // listed later than the source was, it may be a dual write the source has by now
        if (this.options.incremental && !(await this.source.hasObject(m.key))) {
          await this.target.deleteObject(m.key);
          this.summary.deleted++;
        }
        continue;
      }
      this.progress('objects', ++this.objectsSeen, this.objectsTotal);
      if (m.right === undefined) missing.push(m.key);
      last = m.key;
      if (missing.length >= this.batchSize) await flush();
    }
    await flush(true);
  }

  /** Repositories by name, each with its refs; the checkpoint names the last repository done. */
  private async repositories(): Promise<void> {
    const at = this.options.incremental ? {} : await this.position('repositories');
    if (at.done) return;
    let ops: StoreWriteOp[] = [];
    let done = 0;
    let lastDone = at.after;
    const maybeFlush = async (force = false) => {
      if (ops.length < this.batchSize && !force) return;
      await this.write('repository', ops, 'repositories', { after: lastDone, done: force });
      ops = [];
    };
    for await (const m of mergeSorted(sorted.repositories(this.source, at.after), sorted.repositories(this.target, at.after), 'repositories')) {
      if (!m.left) {
        // a repository renamed in the source shows under its old name here: not a delete
        if (this.options.incremental && !(await this.source.getRepository(m.right!.id))) this.remove(ops, { op: 'deleteRepository', id: m.right!.id });
      } else {
        if (!m.right || canonical(m.left) !== canonical(m.right)) {
          ops.push(recordOp({ kind: 'repository', repository: m.left }, this.target));
          this.summary.copied.repository++;
        }
        const id = m.left.id;
        for await (const r of mergeSorted(sorted.refs(this.source, id), m.right?.id === id ? sorted.refs(this.target, id) : empty<Keyed<Ref>>(), 'refs')) {
          if (!r.left) {
            if (this.options.incremental && !(await this.source.getRef(id, r.key))) this.remove(ops, { op: 'updateRefs', repositoryId: id, updates: [{ name: r.key, new: null, symbolic: false }] });
          } else if (!r.right || canonical(r.left) !== canonical(r.right)) {
            const op = recordOp({ kind: 'ref', repositoryId: id, ref: r.left }, this.target);
            if (this.options.guardRefs && op.op === 'updateRefs') op.updates[0].old = r.right?.target ?? null;
            ops.push(op);
            this.summary.copied.ref++;
          }
          await maybeFlush();
        }
        await this.commitRows(id, m.right?.id === id, ops, maybeFlush);
      }
      lastDone = m.key;
      this.progress('repositories', ++done);
      await maybeFlush();
    }
    await maybeFlush(true);
  }

  /**
   * A repository's commit-index rows, merged by id: missing rows are put,
   * rows that differ are replaced, and (incremental) rows only the target
   * holds are deleted, with the contributors no source row has. Rows go in
   * one op per batch, whichever way the target keeps them.
   */
  private async commitRows(repositoryId: string, inTarget: boolean, ops: StoreWriteOp[], maybeFlush: () => Promise<void>): Promise<void> {
    let puts: CommitIndexRow[] = [];
    let dels: CommitIndexRow[] = [];
    const sourceAuthors = new Set<string>();
    const deletedAuthors = new Set<string>();
    const flush = async () => {
      if (dels.length > 0) ops.push({ op: 'deleteCommits', repositoryId, commits: dels, contributors: [] });
      if (puts.length > 0) ops.push({ op: 'putCommits', repositoryId, commits: puts.map((row) => checkCommitRow(row, this.target.objectFormat)) });
      puts = [];
      dels = [];
      await maybeFlush();
    };
    const right = inTarget ? sorted.commits(this.target, repositoryId) : empty<Keyed<CommitIndexRow>>();
    for await (const c of mergeSorted(sorted.commits(this.source, repositoryId), right, 'commit rows')) {
      if (c.left) sourceAuthors.add(c.left.author.email.toLowerCase());
      if (!c.left) {
        if (!this.options.incremental) continue;
        dels.push(c.right!);
        deletedAuthors.add(c.right!.author.email.toLowerCase());
        this.summary.deleted++;
      } else if (!c.right || canonical(c.left) !== canonical(c.right)) {
        if (c.right) dels.push(c.right);
        puts.push(c.left);
        this.summary.copied.commit++;
      }
      if (puts.length + dels.length >= this.batchSize) await flush();
    }
    const gone = [...deletedAuthors].filter((email) => !sourceAuthors.has(email));
    if (gone.length > 0) ops.push({ op: 'deleteCommits', repositoryId, commits: [], contributors: gone });
    await flush();
  }

  /** A phase of keyed records merged in order, its checkpoint the last key done. */
  private async keyedPhase<T>(
    phase: string,
    kind: RecordKind,
    streams: (after?: string) => [AsyncIterable<Keyed<T>>, AsyncIterable<Keyed<T>>],
    step: (m: Merged<T, T>, ops: WriteOp[]) => Promise<void>,
  ): Promise<void> {
    const at = this.options.incremental ? {} : await this.position(phase);
    if (at.done) return;
    const ops: WriteOp[] = [];
    let last = at.after;
    const [left, right] = streams(at.after);
    for await (const m of mergeSorted(left, right, phase)) {
      await step(m, ops);
      last = m.key;
      if (ops.length >= this.batchSize) await this.write(kind, ops.splice(0), phase, { after: last });
    }
    await this.write(kind, ops, phase, { after: last, done: true });
  }

  private users(): Promise<void> {
    return this.keyedPhase('users', 'user', (after) => [sorted.users(this.source, after), sorted.users(this.target, after)], async (m, ops) => {
      if (!m.left) {
        if (this.options.incremental && !(await this.source.getUser(m.right!.id))) this.remove(ops, { op: 'deleteUser', id: m.right!.id });
      } else if (!m.right || canonical(m.left) !== canonical(m.right)) {
        ops.push(recordOp({ kind: 'user', user: m.left }, this.target));
        this.summary.copied.user++;
      }
    });
  }

  /** Events are append-only: merged from the last checkpoint (less the overlap), the target's own kept. */
  private async events(): Promise<void> {
    const at = await this.position('events');
    if (at.done && this.summary.resumed) return;
    // a resumed run goes on from its checkpoint; a new one (incremental) from a while before the last run's end
    const lastTime = at.after ? Number(at.after.slice(0, 15)) : undefined;
    const since = lastTime === undefined ? undefined : new Date(Math.max(0, lastTime - (this.summary.resumed ? 0 : EVENT_OVERLAP_MS)));
    const total = await this.source.countEvents(since ? { since } : {});
    let ops: WriteOp[] = [];
    let last = at.after;
    let seen = 0;
    for await (const m of mergeSorted(sorted.events(this.source, since), sorted.events(this.target, since), 'events')) {
      if (!m.left) continue;
      if (!m.right) {
        ops.push(recordOp({ kind: 'event', event: m.left }, this.target));
        this.summary.copied.event++;
      }
      last = m.key;
      this.progress('events', ++seen, total);
      if (ops.length >= this.batchSize) await this.write('event', ops.splice(0), 'events', { after: last });
    }
    await this.write('event', ops, 'events', { after: last, done: true });
  }

  private config(): Promise<void> {
    return this.keyedPhase('config', 'config', (after) => [sorted.config(this.source, after), sorted.config(this.target, after)], async (m, ops) => {
      if (m.left === undefined) {
        if (this.options.incremental && (await this.source.getConfig(m.key)) === undefined) this.remove(ops, { op: 'setConfig', key: m.key, value: null });
      } else if (m.left !== m.right) {
        ops.push(recordOp({ kind: 'config', key: m.key, value: m.left }, this.target));
        this.summary.copied.config++;
      }
    });
  }
}

async function* empty<T>(): AsyncGenerator<T> {}
