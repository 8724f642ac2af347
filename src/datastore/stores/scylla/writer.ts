/**
 * What a write guarantees here (CQL has no transactions across partitions):
 *
 * 1. New objects go first, as plain idempotent writes: a write that fails
 *    later leaves only unreferenced, content-addressed objects behind.
 * 2. Then the conditional steps, each one lightweight transaction or a short
 *    chain of them (refs: one conditional batch; a repository or user: claims,
 *    then the record's compare-and-swap). A write with one such step (every
 *    write the DataStore makes outside transactions) is all or nothing at that
 *    step. A write with several (a buffered transaction's commit) is checked
 *    first against the store, then applied step by step; when a step fails, the
 *    steps already applied are undone by compensating compare-and-swaps, and
 *    the error is thrown. Others may see the steps in between, and a client
 *    that dies in the middle of such a commit leaves the steps it applied.
 * 3. Then the plain writes (config, event rows, object deletes), in logged
 *    batches of up to TAIL_BATCH_BYTES: once the conditional steps held, these
 *    cannot conflict, and a logged batch applies whole.
 */
import type { DriverReader, StoreDriver, WriteOp } from '../../driver.js';
import { BufferedTransaction } from '../../buffered-transaction.js';
import type { ObjectEntry, Repository, User } from '../../types.js';
import type { ScyllaConfig } from './config-table.js';
import type { ScyllaEvents } from './events.js';
import type { ScyllaObjects } from './objects.js';
import type { ClaimedRecords, Undo } from './records.js';
import type { RepositoryTable } from './repositories.js';
import type { Session, Statement } from './session.js';

/** Under Cassandra's default batch_size_fail_threshold (50 KiB). */
const TAIL_BATCH_BYTES = 32 * 1024;

export interface WriterParts {
  session: Session;
  objects: ScyllaObjects;
  repositoryTable: RepositoryTable;
  repositories: ClaimedRecords<Repository>;
  users: ClaimedRecords<User>;
  events: ScyllaEvents;
  config: ScyllaConfig;
}

type Step = (undoable: boolean) => Promise<Undo>;
/**
 * Statements of one batch share a timestamp, and a deletion wins a tie: a
 * prefix deletion goes in a batch of its own, so writes before and after it
 * keep their order (each later batch has a later client timestamp).
 */
const BARRIER: Statement = { query: '', params: [] };
const noUndo: Undo = async () => undefined;

function statementBytes(s: Statement): number {
  return s.query.length + s.params.reduce<number>((n, p) => n + (Buffer.isBuffer(p) ? p.length : String(p).length), 0);
}

export class ScyllaWriter {
  constructor(
    private readonly parts: WriterParts,
    private readonly driver: StoreDriver & DriverReader,
  ) {}

  async write(ops: WriteOp[]): Promise<void> {
    const { objects } = this.parts;
    const fresh: ObjectEntry[] = [];
    const replaced: ObjectEntry[] = [];
    const deleted: string[] = [];
    const steps: Step[] = [];
    const tail: Statement[] = [];
    for (const op of ops) this.plan(op, { fresh, replaced, deleted, steps, tail });
    // Several conditional steps: fail early, before any of them applies, if the store already says no.
    if (steps.length > 1) await new BufferedTransaction(this.driver, false).write(ops);
    if (fresh.length) await objects.putNew(fresh);
    if (replaced.length) await objects.replace(replaced);
    const undos: Undo[] = [];
    try {
      for (const step of steps) undos.push(await step(steps.length > 1));
    } catch (err) {
      for (const undo of undos.reverse()) await undo().catch(() => undefined);
      throw err;
    }
    await this.runTail(tail);
    if (deleted.length) await objects.delete(deleted);
  }

  private plan(op: WriteOp, into: { fresh: ObjectEntry[]; replaced: ObjectEntry[]; deleted: string[]; steps: Step[]; tail: Statement[] }): void {
    const { repositoryTable, repositories, users, events, config } = this.parts;
    switch (op.op) {
      case 'putObject':
        (op.replace ? into.replaced : into.fresh).push(op.entry);
        return;
      case 'deleteObject':
        into.deleted.push(op.id);
        return;
      case 'updateRefs':
        into.steps.push((undoable) => repositoryTable.updateRefs(op.repositoryId, op.updates, undoable));
        return;
      case 'putRepository':
        into.steps.push(() => repositories.put(op.repository, op.mode, op.ifVersion));
        return;
      case 'deleteRepository':
        into.steps.push(async () => (await repositories.remove(op.id), noUndo));
        return;
      case 'putUser':
        into.steps.push(() => users.put(op.user, op.mode, op.ifVersion));
        return;
      case 'deleteUser':
        into.steps.push(async () => (await users.remove(op.id), noUndo));
        return;
      case 'appendEvent':
        into.steps.push(async () => (await events.claim(op.event), noUndo));
        into.tail.push(...events.statements(op.event));
        return;
      case 'setConfig':
        into.tail.push(config.set(op.key, op.value));
        return;
      case 'deleteConfigPrefix':
        into.tail.push(BARRIER, config.deletePrefix(op.prefix), BARRIER);
        return;
    }
  }

  private async runTail(tail: Statement[]): Promise<void> {
    let batch: Statement[] = [];
    let bytes = 0;
    for (const s of this.lastPerKey(tail)) {
      const size = statementBytes(s);
      if (s === BARRIER || (batch.length > 0 && bytes + size > TAIL_BATCH_BYTES)) {
        await this.parts.session.batch(batch);
        batch = [];
        bytes = 0;
      }
      if (s === BARRIER) continue;
      batch.push(s);
      bytes += size;
    }
    await this.parts.session.batch(batch);
  }

  /** Of several writes of one config key between barriers, the last (in one batch they would tie). */
  private lastPerKey(tail: Statement[]): Statement[] {
    const out: Statement[] = [];
    const seen = new Map<string, number>();
    for (const s of tail) {
      if (s === BARRIER) {
        seen.clear();
        out.push(s);
        continue;
      }
      const key = /config/.test(s.query) ? `${(s.params[1] as Buffer).toString('hex')}` : undefined;
      if (key !== undefined && seen.has(key)) out[seen.get(key)!] = s;
      else {
        if (key !== undefined) seen.set(key, out.length);
        out.push(s);
      }
    }
    return out;
  }
}
