/**
 * Every read of the store, over an Executor: the pool for the store, one
 * client for a transaction. Filters follow src/datastore/filters.ts exactly:
 * text columns are COLLATE "C" (code point order), prefixes are ranges.
 */
import type { DriverReader, EventCountQuery, EventQuery, KeyRange, RepositoryQuery, UserQuery } from '../../driver.js';
import type { AuditEvent, ObjectEntry, ObjectStat, Ref, Repository, User } from '../../types.js';
import { PgCommitIndex } from './commit-index.js';
import type { Executor } from './executor.js';
import { LARGE_ENTRY_BYTES, LARGE_PARTS_SQL, readLargeEntry, type LargeParts } from './large-read.js';
import { addPrefixRange } from './prefix.js';
import {
  objectType,
  toEntry,
  toEvent,
  toRef,
  toRepository,
  toUser,
  type EventRow,
  type EntryRow,
  type RefRow,
  type RepositoryRow,
  type UserRow,
} from './rows.js';

export const SQL = {
  // Bytes above LARGE_ENTRY_BYTES are left out of the row and fetched one entry at a time (large-read.ts).
  getEntries: `SELECT id, type, size, encoding, base, CASE WHEN octet_length(data) <= ${LARGE_ENTRY_BYTES} THEN data END AS data FROM objects WHERE id = ANY($1::text[])`,
  hasObjects: 'SELECT id FROM objects WHERE id = ANY($1::text[])',
  statObject: 'SELECT type, size FROM objects WHERE id = $1',
  getRef: 'SELECT name, type, target FROM refs WHERE repository_id = $1 AND name = $2',
  getRepository: 'SELECT * FROM repositories WHERE id = $1',
  getRepositoryByName: 'SELECT * FROM repositories WHERE name = $1',
  getUser: 'SELECT * FROM users WHERE id = $1',
  getUserByUsername: 'SELECT * FROM users WHERE username = $1',
  getUserByEmail: 'SELECT * FROM users WHERE email = $1',
  getEvent: 'SELECT * FROM audit_events WHERE id = $1',
  getConfig: 'SELECT value FROM config WHERE key = $1',
} as const;

/** `SELECT ... WHERE <key range> ORDER BY <column> LIMIT n`: the statement of every keyed list. */
function keyRangeQuery(select: string, column: string, fixed: string[], fixedValues: unknown[], range: KeyRange): [string, unknown[]] {
  const where = [...fixed];
  const values = [...fixedValues];
  if (range.prefix !== '') addPrefixRange(column, range.prefix, where, values);
  if (range.after !== undefined) {
    values.push(range.after);
    where.push(`${column} > $${values.length}`);
  }
  values.push(range.limit);
  const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  return [`${select}${clause} ORDER BY ${column} LIMIT $${values.length}`, values];
}

function eventWhere(q: EventCountQuery, values: unknown[]): string[] {
  const where: string[] = [];
  const eq = (column: string, v: unknown) => {
    values.push(v);
    where.push(`${column} = $${values.length}`);
  };
  if (q.userId !== undefined) eq('user_id', q.userId);
  if (q.action !== undefined) eq('action', q.action);
  if (q.resource !== undefined) eq('resource', q.resource);
  if (q.repositoryId !== undefined) eq('repository_id', q.repositoryId);
  if (q.resourcePrefix !== undefined) addPrefixRange('resource', q.resourcePrefix, where, values);
  if (q.since !== undefined) {
    values.push(new Date(q.since).toISOString());
    where.push(`occurred_at >= $${values.length}::timestamptz`);
  }
  if (q.until !== undefined) {
    values.push(new Date(q.until).toISOString());
    where.push(`occurred_at < $${values.length}::timestamptz`);
  }
  return where;
}

function pageClause(values: unknown[], offset: number, limit: number): string {
  values.push(offset, limit);
  return ` OFFSET $${values.length - 1} LIMIT $${values.length}`;
}

export class PgReader implements DriverReader {
  /** The commit index in its own tables (commit-index.ts). */
  get commitIndex(): PgCommitIndex {
    return new PgCommitIndex(this.exec);
  }

  /** `copyReads`: read large entries by binary COPY (see large-read.ts). */
  constructor(
    protected exec: Executor,
    private readonly copyReads: boolean,
  ) {}

  /** What a row left out for its size, fetched raw. */
  private async largeParts(id: string): Promise<LargeParts | undefined> {
    if (this.copyReads) return readLargeEntry(this.exec, id);
    const { rows } = await this.exec.query<LargeParts>(LARGE_PARTS_SQL, [id]);
    return rows[0];
  }

  async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    const { rows } = await this.exec.query<EntryRow>(SQL.getEntries, [ids]);
    const out = new Map<string, ObjectEntry>();
    for (const r of rows) {
      if (r.data !== null) {
        out.set(r.id, toEntry(r, r.data));
        continue;
      }
      // Absent only if deleted between the two reads (outside a transaction): then it is missing.
      const large = await this.largeParts(r.id);
      if (large) out.set(r.id, toEntry({ ...r, encoding: large.encoding, base: large.base }, large.data));
    }
    return out;
  }

  async hasObjects(ids: string[]): Promise<boolean[]> {
    const { rows } = await this.exec.query<{ id: string }>(SQL.hasObjects, [ids]);
    const found = new Set(rows.map((r) => r.id));
    return ids.map((id) => found.has(id));
  }

  async statObject(id: string): Promise<ObjectStat | undefined> {
    const { rows } = await this.exec.query<{ type: string; size: string }>(SQL.statObject, [id]);
    return rows[0] && { id, type: objectType(rows[0].type), size: Number(rows[0].size) };
  }

  async listObjectIds(range: KeyRange): Promise<string[]> {
    const [text, values] = keyRangeQuery('SELECT id FROM objects', 'id', [], [], range);
    const { rows } = await this.exec.query<{ id: string }>(text, values);
    return rows.map((r) => r.id);
  }

  async listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    // `base IS NOT NULL` spelled out so every planner sees the partial index objects_base applies.
    const [text, values] = keyRangeQuery('SELECT id FROM objects', 'id', ['base = $1', 'base IS NOT NULL'], [baseId], { prefix: '', ...range });
    const { rows } = await this.exec.query<{ id: string }>(text, values);
    return rows.map((r) => r.id);
  }

  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    const { rows } = await this.exec.query<RefRow>(SQL.getRef, [repositoryId, name]);
    return rows[0] && toRef(rows[0]);
  }

  async listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    const [text, values] = keyRangeQuery('SELECT name, type, target FROM refs', 'name', ['repository_id = $1'], [repositoryId], range);
    const { rows } = await this.exec.query<RefRow>(text, values);
    return rows.map(toRef);
  }

  async getRepository(id: string): Promise<Repository | undefined> {
    const { rows } = await this.exec.query<RepositoryRow>(SQL.getRepository, [id]);
    return rows[0] && toRepository(rows[0]);
  }

  async getRepositoryByName(name: string): Promise<Repository | undefined> {
    const { rows } = await this.exec.query<RepositoryRow>(SQL.getRepositoryByName, [name]);
    return rows[0] && toRepository(rows[0]);
  }

  async listRepositories(q: RepositoryQuery): Promise<Repository[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (q.namePrefix) addPrefixRange('name', q.namePrefix, where, values);
    if (q.visibility !== undefined) {
      values.push(q.visibility);
      where.push(`visibility = $${values.length}`);
    }
    if (q.ownerId !== undefined) {
      values.push(q.ownerId);
      where.push(`owner_id = $${values.length}`);
    }
    if (q.after !== undefined) {
      values.push(q.after);
      where.push(`name > $${values.length}`);
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const text = `SELECT * FROM repositories${clause} ORDER BY name${pageClause(values, q.offset, q.limit)}`;
    const { rows } = await this.exec.query<RepositoryRow>(text, values);
    return rows.map(toRepository);
  }

  async getUser(id: string): Promise<User | undefined> {
    const { rows } = await this.exec.query<UserRow>(SQL.getUser, [id]);
    return rows[0] && toUser(rows[0]);
  }

  async getUserByUsername(username: string): Promise<User | undefined> {
    const { rows } = await this.exec.query<UserRow>(SQL.getUserByUsername, [username]);
    return rows[0] && toUser(rows[0]);
  }

  async getUserByEmail(email: string): Promise<User | undefined> {
    const { rows } = await this.exec.query<UserRow>(SQL.getUserByEmail, [email]);
    return rows[0] && toUser(rows[0]);
  }

  async listUsers(q: UserQuery): Promise<User[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (q.usernamePrefix) addPrefixRange('username', q.usernamePrefix, where, values);
    if (q.isAdmin !== undefined) {
      values.push(q.isAdmin);
      where.push(`is_admin = $${values.length}`);
    }
    if (q.after !== undefined) {
      values.push(q.after);
      where.push(`username > $${values.length}`);
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const text = `SELECT * FROM users${clause} ORDER BY username${pageClause(values, q.offset, q.limit)}`;
    const { rows } = await this.exec.query<UserRow>(text, values);
    return rows.map(toUser);
  }

  async queryEvents(q: EventQuery): Promise<AuditEvent[]> {
    const values: unknown[] = [];
    const where = eventWhere(q, values);
    const desc = q.order === 'desc';
    if (q.after) {
      values.push(new Date(q.after.timestamp).toISOString(), q.after.id);
      where.push(`(occurred_at, id) ${desc ? '<' : '>'} ($${values.length - 1}::timestamptz, $${values.length})`);
    }
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const order = desc ? 'occurred_at DESC, id DESC' : 'occurred_at, id';
    const text = `SELECT * FROM audit_events${clause} ORDER BY ${order}${pageClause(values, q.offset, q.limit)}`;
    const { rows } = await this.exec.query<EventRow>(text, values);
    return rows.map(toEvent);
  }

  async countEvents(q: EventCountQuery): Promise<number> {
    const values: unknown[] = [];
    const where = eventWhere(q, values);
    const clause = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
    const { rows } = await this.exec.query<{ n: string }>(`SELECT count(*) AS n FROM audit_events${clause}`, values);
    return Number(rows[0].n);
  }

  /** One event by id (change feeds fetch the events they are told about). */
  async getEvent(id: string): Promise<AuditEvent | undefined> {
    const { rows } = await this.exec.query<EventRow>(SQL.getEvent, [id]);
    return rows[0] && toEvent(rows[0]);
  }

  async getConfig(key: string): Promise<string | undefined> {
    const { rows } = await this.exec.query<{ value: string }>(SQL.getConfig, [key]);
    return rows[0]?.value;
  }

  async listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    const [text, values] = keyRangeQuery('SELECT key, value FROM config', 'key', [], [], range);
    const { rows } = await this.exec.query<{ key: string; value: string }>(text, values);
    return rows.map((r) => [r.key, r.value]);
  }
}
