/**
 * Applying write ops inside one SQLite transaction. The checks (mode, unique
 * names, ref compare-and-swap) read the same connection inside the
 * transaction, so they see earlier ops of the same write; a throw rolls all
 * of it back.
 */
import type { PutMode, WriteOp } from '../../driver.js';
import { checkPut, recordError } from '../../conflicts.js';
import { IntegrityError } from '../../errors.js';
import type { ObjectEntry } from '../../types.js';
import { encodeKind, idParams } from './object-rows.js';
import { planRefUpdates } from '../../refs.js';
import type { Ref, RefUpdate, Repository, User } from '../../types.js';
import { eventToRow, refFromRow, repositoryToRow, userToRow, type RefRow } from './rows.js';
import { prefixUpperBound } from './prefix.js';
import type { Statements } from './statements.js';

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export class Writer {
  /** Row numbers deleted by this write: no row may still name one as its base when it ends. */
  private deleted: number[] = [];

  constructor(private readonly s: Statements) {}

  /** Whether any delta may be waiting for its base: when none is, a new object need not look for them. */
  private pendingPossible = false;

  /** The last row number given out in this write (rows append: a new row's n is one more). */
  private lastN: number | undefined;

  /** Before the ops of one write, inside its transaction. */
  begin(): void {
    this.deleted = [];
    this.pendingPossible = this.s.anyPendingBase.get() !== undefined;
    this.lastN = undefined;
  }

  /** After the ops of one write, inside its transaction: a throw rolls the write back. */
  finish(): void {
    for (const n of this.deleted) {
      const dependent = this.s.dependentOf.get({ base: n });
      if (dependent !== undefined) {
        throw new IntegrityError(`a deleted object is the delta base of ${dependent}, which is still stored; nothing was written`, { id: dependent });
      }
    }
  }

  /**
   * Writes one entry. A delta whose base is not stored (yet: a store copy may bring deltas first) keeps
   * the base's id in object_bases until the base comes; an object that comes is the base of those.
   */
  private putObject(e: ObjectEntry, replace: boolean): void {
    const s = this.s;
    const hash = Buffer.from(e.id, 'hex');
    const base = e.base === null ? null : Buffer.from(e.base, 'hex');
    const params = { hash, kind: encodeKind(e.type, e.size, e.encoding), base, data: toBuffer(e.bytes) };
    if (replace && s.updateObject.run(params).changes > 0) {
      const n = s.rowNumber.get(hash, hash)!;
      s.deletePendingBase.run(n);
      if (base !== null && s.backOf.get(n) === null) this.keepPendingBase(n, base);
      return;
    }
    if (s.hasObject.get(hash, hash) !== undefined) return; // stored already: objects are write-once
    const n = (this.lastN = (this.lastN ?? s.lastRowNumber.get()!) + 1);
    const baseN = base === null ? undefined : s.rowNumber.get(base, base);
    s.insertObject.run({ n, hash, kind: params.kind, back: baseN === undefined ? null : n - baseN, data: params.data });
    if (base !== null && baseN === undefined) this.keepPendingBase(n, base);
    if (!this.pendingPossible) return;
    for (const waiting of s.pendingOn.all(hash)) {
      s.resolvePendingBase.run({ n: waiting, base: n });
      s.deletePendingBase.run(waiting);
    }
  }

  private keepPendingBase(n: number, base: Buffer): void {
    this.s.insertPendingBase.run(n, base);
    this.pendingPossible = true;
  }

  apply(op: WriteOp, now: number): void {
    const s = this.s;
    switch (op.op) {
      case 'putObject': {
        this.putObject(op.entry, op.replace ?? false);
        return;
      }
      case 'deleteObject': {
        const n = s.rowNumber.get(...idParams(op.id));
        if (n === undefined) return;
        if (s.dependentOf.get({ base: n }) !== undefined) this.deleted.push(n);
        s.deleteRow.run(n);
        s.deletePendingBase.run(n);
        return;
      }
      case 'updateRefs':
        return this.updateRefs(op.repositoryId, op.updates);
      case 'putRepository':
        return this.putRepository(op.repository, op.mode, op.ifVersion);
      case 'deleteRepository':
        s.deleteRepositoryRefs.run(op.id);
        s.deleteRepository.run(op.id);
        return;
      case 'putUser':
        return this.putUser(op.user, op.mode, op.ifVersion);
      case 'deleteUser':
        s.deleteUser.run(op.id);
        return;
      case 'appendEvent':
        try {
          s.insertEvent.run(eventToRow(op.event));
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
            throw recordError({ kind: 'event-exists', id: op.event.id });
          }
          throw err;
        }
        return;
      case 'setConfig':
        if (op.value === null) s.deleteConfig.run(op.key);
        else s.upsertConfig.run(op.key, op.value);
        return;
      case 'deleteConfigPrefix': {
        const upper = prefixUpperBound(op.prefix);
        if (upper === undefined) s.deleteConfigFrom.run(op.prefix);
        else s.deleteConfigBetween.run(op.prefix, upper);
        return;
      }
    }
  }

  private updateRefs(repositoryId: string, updates: RefUpdate[]): void {
    const s = this.s;
    if (s.repositoryVersion.get(repositoryId) === undefined) {
      throw recordError({ kind: 'refs-repo-missing', id: repositoryId });
    }
    const current = new Map<string, Ref | undefined>();
    for (const u of updates) {
      const row = s.getRef.get(repositoryId, u.name) as RefRow | undefined;
      current.set(u.name, row && refFromRow(row));
    }
    for (const change of planRefUpdates(repositoryId, updates, current)) {
      if (change.ref === null) s.deleteRef.run(repositoryId, change.name);
      else s.upsertRef.run(repositoryId, change.name, change.ref.type, change.ref.target);
    }
  }

  private putRepository(repo: Repository, mode: PutMode, ifVersion: number | undefined): void {
    const s = this.s;
    const version = s.repositoryVersion.get(repo.id);
    checkPut('repository', repo.id, version === undefined ? undefined : { version }, mode, ifVersion);
    const holder = s.getRepositoryByName.get(repo.name) as { id: string } | undefined;
    if (holder && holder.id !== repo.id) throw recordError({ kind: 'repo-name', name: repo.name });
    s.upsertRepository.run(repositoryToRow(repo));
  }

  private putUser(user: User, mode: PutMode, ifVersion: number | undefined): void {
    const s = this.s;
    const version = s.userVersion.get(user.id);
    checkPut('user', user.id, version === undefined ? undefined : { version }, mode, ifVersion);
    const byName = s.getUserByUsername.get(user.username) as { id: string } | undefined;
    if (byName && byName.id !== user.id) throw recordError({ kind: 'username', username: user.username });
    const byEmail = s.getUserByEmail.get(user.email) as { id: string } | undefined;
    if (byEmail && byEmail.id !== user.id) throw recordError({ kind: 'email', email: user.email });
    s.upsertUser.run(userToRow(user));
  }
}
