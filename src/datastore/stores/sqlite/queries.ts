/**
 * SQL for the lists, built from the filters that are present so each shape
 * uses its index (no `? IS NULL OR ...`). The rules are those of filters.ts:
 * literal prefixes, code point order (BINARY collation), keyset `after`
 * strictly greater, events by (timestamp, id), then offset and limit.
 */
import type { EventCountQuery, EventQuery, KeyRange, RepositoryQuery, UserQuery } from '../../driver.js';
import { prefixConditions, whereClause, type SqlCondition } from './prefix.js';
import { EVENT_COLUMNS, REPOSITORY_COLUMNS, USER_COLUMNS } from './rows.js';

export interface SqlQuery {
  sql: string;
  params: unknown[];
}

function eq(column: string, value: unknown): SqlCondition {
  return { sql: `${column} = ?`, params: [value] };
}

function keyRangeConditions(column: string, range: Pick<KeyRange, 'prefix' | 'after'>): SqlCondition[] {
  const out = prefixConditions(column, range.prefix);
  if (range.after !== undefined) out.push({ sql: `${column} > ?`, params: [range.after] });
  return out;
}

function select(head: string, conditions: SqlCondition[], tail: string, tailParams: unknown[]): SqlQuery {
  const where = whereClause(conditions);
  return { sql: `${head}${where.sql} ${tail}`, params: [...where.params, ...tailParams] };
}

/**
 * Object ids are bytes: a hex prefix is a range of them (an odd-length prefix ends in half a byte).
 * Each bound is also a bound on the ids' first 4 bytes, so the key index (object-rows.ts) finds the range;
 * its order by those 4 bytes, then the whole id, is the order of ids.
 */
export function listObjectIdsQuery(range: KeyRange): SqlQuery {
  const conditions: SqlCondition[] = [];
  const bound = (op: '>=' | '<' | '>', sql: string, value: unknown): void => {
    conditions.push({ sql: `${KEY} ${op === '<' ? '<=' : '>='} substr(${sql}, 1, 4)`, params: [value] });
    conditions.push({ sql: `hash ${op} ${sql}`, params: [value] });
  };
  if (range.prefix) {
    const bytes = (hex: string) => Buffer.from(hex.length % 2 ? `${hex}0` : hex, 'hex');
    bound('>=', '?', bytes(range.prefix));
    const upper = hexSuccessor(range.prefix);
    if (upper !== undefined) bound('<', '?', bytes(upper));
  }
  if (range.after !== undefined) bound('>', 'unhex(?)', range.after);
  return select('SELECT lower(hex(hash)) FROM objects', conditions, `ORDER BY ${KEY}, hash LIMIT ?`, [range.limit]);
}

/** The indexed expression of objects_by_key. */
const KEY = 'substr(hash, 1, 4)';

/** The next hex string of the same length (ab -> ac, af -> b0), or undefined after ff...f. */
function hexSuccessor(hex: string): string | undefined {
  const digits = hex.split('');
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i] !== 'f') {
      digits[i] = (parseInt(digits[i], 16) + 1).toString(16);
      return digits.join('');
    }
    digits[i] = '0';
  }
  return undefined;
}

export function listRefsQuery(repositoryId: string, range: KeyRange): SqlQuery {
  const conditions = [eq('repository_id', repositoryId), ...keyRangeConditions('name', range)];
  return select('SELECT name, type, target FROM refs', conditions, 'ORDER BY name LIMIT ?', [range.limit]);
}

export function listConfigQuery(range: KeyRange): SqlQuery {
  return select('SELECT key, value FROM config', keyRangeConditions('key', range), 'ORDER BY key LIMIT ?', [range.limit]);
}

export function listRepositoriesQuery(q: RepositoryQuery): SqlQuery {
  const conditions = keyRangeConditions('name', { prefix: q.namePrefix ?? '', after: q.after });
  if (q.visibility !== undefined) conditions.push(eq('visibility', q.visibility));
  if (q.ownerId !== undefined) conditions.push(eq('owner_id', q.ownerId));
  return select(`SELECT ${REPOSITORY_COLUMNS} FROM repositories`, conditions, 'ORDER BY name LIMIT ? OFFSET ?', [q.limit, q.offset]);
}

export function listUsersQuery(q: UserQuery): SqlQuery {
  const conditions = keyRangeConditions('username', { prefix: q.usernamePrefix ?? '', after: q.after });
  if (q.isAdmin !== undefined) conditions.push(eq('is_admin', q.isAdmin ? 1 : 0));
  return select(`SELECT ${USER_COLUMNS} FROM users`, conditions, 'ORDER BY username LIMIT ? OFFSET ?', [q.limit, q.offset]);
}

function eventConditions(q: EventCountQuery): SqlCondition[] {
  const out: SqlCondition[] = [];
  if (q.userId !== undefined) out.push(eq('user_id', q.userId));
  if (q.action !== undefined) out.push(eq('action', q.action));
  if (q.resource !== undefined) out.push(eq('resource', q.resource));
  if (q.resourcePrefix !== undefined) {
    // An empty prefix still means "has a resource" (filters.ts).
    out.push(...prefixConditions('resource', q.resourcePrefix));
    if (q.resourcePrefix === '') out.push({ sql: 'resource IS NOT NULL', params: [] });
  }
  if (q.repositoryId !== undefined) out.push(eq('repository_id', q.repositoryId));
  if (q.since !== undefined) out.push({ sql: 'timestamp >= ?', params: [q.since] });
  if (q.until !== undefined) out.push({ sql: 'timestamp < ?', params: [q.until] });
  return out;
}

export function queryEventsQuery(q: EventQuery): SqlQuery {
  const conditions = eventConditions(q);
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  if (q.after) conditions.push({ sql: `(timestamp, id) ${q.order === 'desc' ? '<' : '>'} (?, ?)`, params: [q.after.timestamp, q.after.id] });
  return select(`SELECT ${EVENT_COLUMNS} FROM audit_events`, conditions, `ORDER BY timestamp ${dir}, id ${dir} LIMIT ? OFFSET ?`, [
    q.limit,
    q.offset,
  ]);
}

export function countEventsQuery(q: EventCountQuery): SqlQuery {
  return select('SELECT count(*) FROM audit_events', eventConditions(q), '', []);
}
