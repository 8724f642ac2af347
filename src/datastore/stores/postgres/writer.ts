/**
 * Applies WriteOps in order on one client inside an open transaction, and
 * collects the change notices to send before commit. The caller owns BEGIN,
 * COMMIT and ROLLBACK (or the savepoint of a native transaction).
 */
import type { ClientBase } from 'pg';
import type { WriteOp } from '../../driver.js';
import { isCommitIndexOp, type CommitIndexOp } from '../../commit-index/types.js';
import { writeCommitIndex } from './commit-index.js';
import { checkPut, recordError } from '../../conflicts.js';
import { compareStrings } from '../../filters.js';
import { planRefUpdates } from '../../refs.js';
import type { AuditEvent, ObjectEntry, Ref, RefUpdate, Repository, User } from '../../types.js';
import type { Dialect } from './dialect.js';
import { putEntries } from './entry-writer.js';
import { prefixUpperBound } from './prefix.js';
import type { Executor } from './executor.js';
import type { ChangeNotice } from './notices.js';
import { EVENT_COLUMNS, REPOSITORY_COLUMNS, USER_COLUMNS, eventParams, repositoryParams, toRef, userParams, type RefRow } from './rows.js';

/** Most events in one INSERT. */
const EVENT_CHUNK = 1000;

/** The statements of the writer, by dialect (the same text both times it runs, so prepared once). */
export function writeStatements(d: Dialect) {
  const setList = (cols: readonly string[]) => cols.slice(1).map((c, i) => `${c} = $${i + 2}`).join(', ');
  const params = (cols: readonly string[]) => cols.map((_, i) => `$${i + 1}`).join(', ');
  return {
    deleteObject: 'DELETE FROM objects WHERE id = $1',
    lockRepository: 'SELECT 1 FROM repositories WHERE id = $1 FOR KEY SHARE',
    lockRefs: 'SELECT name, type, target FROM refs WHERE repository_id = $1 AND name = ANY($2::text[]) ORDER BY name FOR UPDATE',
    insertRef: 'INSERT INTO refs (repository_id, name, type, target, updated_at) VALUES ($1, $2, $3, $4, now())',
    insertRefs: 'INSERT INTO refs (repository_id, name, type, target, updated_at) SELECT $1, x.name, x.type, x.target, now() FROM unnest($2::text[], $3::text[], $4::text[]) AS x(name, type, target)',
    upsertRef: d.upsert('refs', ['repository_id', 'name', 'type', 'target', 'updated_at'], ['repository_id', 'name']),
    deleteRef: 'DELETE FROM refs WHERE repository_id = $1 AND name = $2',
    insertRepository: `INSERT INTO repositories (${REPOSITORY_COLUMNS.join(', ')}) VALUES (${params(REPOSITORY_COLUMNS)})`,
    updateRepository: `UPDATE repositories SET ${setList(REPOSITORY_COLUMNS)} WHERE id = $1`,
    upsertRepository: d.upsert('repositories', REPOSITORY_COLUMNS, ['id']),
    deleteRepository: 'DELETE FROM repositories WHERE id = $1',
    insertUser: `INSERT INTO users (${USER_COLUMNS.join(', ')}) VALUES (${params(USER_COLUMNS)})`,
    updateUser: `UPDATE users SET ${setList(USER_COLUMNS)} WHERE id = $1`,
    upsertUser: d.upsert('users', USER_COLUMNS, ['id']),
    deleteUser: 'DELETE FROM users WHERE id = $1',
    // Event ids are unique: appending one again is a CONFLICT (unique violation), as on every store.
    appendEvent: `INSERT INTO audit_events (${EVENT_COLUMNS.join(', ')}) VALUES (${params(EVENT_COLUMNS)})`,
    appendEvents: `INSERT INTO audit_events (${EVENT_COLUMNS.join(', ')}) SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[])`,
    setConfig: d.upsert('config', ['key', 'value'], ['key']),
    deleteConfig: 'DELETE FROM config WHERE key = $1',
    deleteConfigBetween: 'DELETE FROM config WHERE key >= $1 AND key < $2',
    deleteConfigFrom: 'DELETE FROM config WHERE key >= $1',
    // A version check locks the row, so the check and the write see the same version.
    repositoryVersion: 'SELECT version FROM repositories WHERE id = $1 FOR UPDATE',
    userVersion: 'SELECT version FROM users WHERE id = $1 FOR UPDATE',
  };
}

export type WriteStatements = ReturnType<typeof writeStatements>;

export class OpWriter {
  readonly notices: ChangeNotice[] = [];

  constructor(
    /** The transaction's client, for COPY; undefined for a single autocommit statement. */
    private readonly client: ClientBase | undefined,
    private readonly exec: Executor,
    private readonly dialect: Dialect,
    private readonly sql: WriteStatements,
    private readonly maxObjectSize: number,
  ) {}

  async apply(ops: ReadonlyArray<WriteOp | CommitIndexOp>): Promise<void> {
    for (let i = 0; i < ops.length; ) {
      // Consecutive object puts of one kind (keep or replace) go in one statement (or one COPY).
      const first = ops[i];
      if (isCommitIndexOp(first)) {
        await writeCommitIndex(this.exec, first);
        i++;
        continue;
      }
      if (first.op === 'putObject') {
        const replace = first.replace === true;
        const group: ObjectEntry[] = [];
        for (; i < ops.length; i++) {
          const op = ops[i];
          if (isCommitIndexOp(op) || op.op !== 'putObject' || (op.replace === true) !== replace) break;
          group.push(op.entry);
        }
        await this.putEntries(group, replace);
        continue;
      }
      // Consecutive events go in one statement too (a restore or migration appends thousands).
      const next = ops[i + 1];
      if (first.op === 'appendEvent' && next !== undefined && !isCommitIndexOp(next) && next.op === 'appendEvent') {
        const events: AuditEvent[] = [];
        for (; i < ops.length && events.length < EVENT_CHUNK; i++) {
          const op = ops[i];
          if (isCommitIndexOp(op) || op.op !== 'appendEvent') break;
          events.push(op.event);
        }
        await this.appendEvents(events);
        continue;
      }
      await this.applyOne(ops[i++] as WriteOp);
    }
  }

  private async applyOne(op: WriteOp): Promise<void> {
    const { exec, sql } = this;
    switch (op.op) {
      case 'putObject':
        return this.putEntries([op.entry], op.replace === true);
      case 'deleteObject':
        await exec.query(sql.deleteObject, [op.id]);
        return;
      case 'updateRefs':
        return this.updateRefs(op.repositoryId, op.updates);
      case 'putRepository':
        return this.putRecord('repository', op.repository, op.mode, op.ifVersion, repositoryParams(op.repository), [
          sql.insertRepository,
          sql.updateRepository,
          sql.upsertRepository,
        ]);
      case 'deleteRepository':
        await exec.query(sql.deleteRepository, [op.id]);
        return;
      case 'putUser':
        return this.putRecord('user', op.user, op.mode, op.ifVersion, userParams(op.user), [sql.insertUser, sql.updateUser, sql.upsertUser]);
      case 'deleteUser':
        await exec.query(sql.deleteUser, [op.id]);
        return;
      case 'appendEvent': {
        await exec.query(sql.appendEvent, eventParams(op.event));
        this.notices.push({ kind: 'audit', id: op.event.id });
        return;
      }
      case 'setConfig':
        if (op.value === null) await exec.query(sql.deleteConfig, [op.key]);
        else await exec.query(sql.setConfig, [op.key, op.value]);
        return;
      case 'deleteConfigPrefix': {
        const upper = prefixUpperBound(op.prefix);
        if (upper === undefined) await exec.query(sql.deleteConfigFrom, [op.prefix]);
        else await exec.query(sql.deleteConfigBetween, [op.prefix, upper]);
        return;
      }
    }
  }

  private async appendEvents(events: AuditEvent[]): Promise<void> {
    const rows = events.map(eventParams);
    await this.exec.query(this.sql.appendEvents, EVENT_COLUMNS.map((_, c) => rows.map((r) => r[c])));
    for (const e of events) this.notices.push({ kind: 'audit', id: e.id });
  }

  private putEntries(entries: ObjectEntry[], replace: boolean): Promise<void> {
    return putEntries({ client: this.client, exec: this.exec, dialect: this.dialect, maxObjectSize: this.maxObjectSize }, entries, replace);
  }

  /**
   * Compare-and-swap: the repository row is share-locked (a concurrent delete
   * waits), the refs are locked FOR UPDATE in name order (no deadlocks between
   * writers), and planRefUpdates checks them. A competing writer blocks on the
   * row lock and then re-reads the winner's value, so exactly one wins.
   */
  private async updateRefs(repositoryId: string, updates: RefUpdate[]): Promise<void> {
    const { exec, sql } = this;
    const repo = await exec.query(sql.lockRepository, [repositoryId]);
    if (!repo.rowCount) throw recordError({ kind: 'refs-repo-missing', id: repositoryId });
    const names = updates.map((u) => u.name).sort(compareStrings);
    const { rows } = await exec.query<RefRow>(sql.lockRefs, [repositoryId, names]);
    const current = new Map<string, Ref | undefined>(rows.map((r) => [r.name, toRef(r)]));
    const changes = planRefUpdates(repositoryId, updates, current);
    const created: { names: string[]; types: string[]; targets: string[] } = { names: [], types: [], targets: [] };
    for (let i = 0; i < changes.length; i++) {
      const { name, ref } = changes[i];
      const before = current.get(name);
      if (ref === null) {
        if (before) await exec.query(sql.deleteRef, [repositoryId, name]);
      } else if (updates[i].old === null) {
        // Must not exist: plain INSERTs (all in one statement below), so a concurrent creator makes this fail (unique violation -> ConflictError).
        created.names.push(name);
        created.types.push(ref.type);
        created.targets.push(ref.target);
      } else {
        await exec.query(sql.upsertRef, [repositoryId, name, ref.type, ref.target, new Date().toISOString()]);
      }
      const old = before?.target ?? null;
      const next = ref?.target ?? null;
      if (old !== next || before?.type !== ref?.type) this.notices.push({ kind: 'ref', repositoryId, name, old, new: next });
    }
    if (created.names.length === 1) await exec.query(sql.insertRef, [repositoryId, created.names[0], created.types[0], created.targets[0]]);
    else if (created.names.length > 1) await exec.query(sql.insertRefs, [repositoryId, created.names, created.types, created.targets]);
  }

  private async putRecord(
    what: 'repository' | 'user',
    record: Repository | User,
    mode: 'create' | 'update' | 'upsert',
    ifVersion: number | undefined,
    params: unknown[],
    [insert, update, upsert]: [string, string, string],
  ): Promise<void> {
    if (ifVersion !== undefined) {
      const { rows } = await this.exec.query<{ version: number }>(what === 'repository' ? this.sql.repositoryVersion : this.sql.userVersion, [record.id]);
      checkPut(what, record.id, rows[0], mode, ifVersion);
    }
    if (mode === 'create') {
      await this.exec.query(insert, params);
    } else if (mode === 'update') {
      const { rowCount } = await this.exec.query(update, params);
      if (!rowCount) throw recordError({ kind: what === 'repository' ? 'repo-missing' : 'user-missing', id: record.id });
    } else {
      await this.exec.query(upsert, params);
    }
  }
}
