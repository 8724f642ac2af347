/**
 * Literal prefix filters as index range scans. SQLite's LIKE is
 * case-insensitive and treats `%` and `_` as wildcards, so a prefix becomes
 * `col >= prefix AND col < upper`, where `upper` is the smallest string above
 * every string that starts with `prefix`. BINARY collation compares UTF-8
 * bytes, which is code point order, so the bound is computed on code points.
 */

import { prefixUpperBound } from '../../prefix-bound.js';

export { prefixUpperBound };

export interface SqlCondition {
  sql: string;
  params: unknown[];
}

/** Conditions selecting `column` values that start with `prefix` (none for an empty prefix). */
export function prefixConditions(column: string, prefix: string): SqlCondition[] {
  if (prefix === '') return [];
  const upper = prefixUpperBound(prefix);
  const out: SqlCondition[] = [{ sql: `${column} >= ?`, params: [prefix] }];
  if (upper !== undefined) out.push({ sql: `${column} < ?`, params: [upper] });
  return out;
}

/** Joins conditions into a WHERE clause (empty when there are none) and its parameters. */
export function whereClause(conditions: SqlCondition[]): { sql: string; params: unknown[] } {
  if (conditions.length === 0) return { sql: '', params: [] };
  return { sql: ` WHERE ${conditions.map((c) => c.sql).join(' AND ')}`, params: conditions.flatMap((c) => c.params) };
}
