/**
 * Literal prefix filters as index range scans. SQLite's LIKE is
 * case-insensitive and treats `%` and `_` as wildcards, so a prefix becomes
 * `col >= prefix AND col < upper`, where `upper` is the smallest string above
 * every string that starts with `prefix`. BINARY collation compares UTF-8
 * bytes, which is code point order, so the bound is computed on code points.
 */

const MAX_CODE_POINT = 0x10ffff;

/** The exclusive upper bound of strings starting with `prefix`, or undefined when there is none (all U+10FFFF). */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last === MAX_CODE_POINT) continue;
    // Surrogate code points never appear in UTF-8 text; jump over them.
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    points.push(next);
    return String.fromCodePoint(...points);
  }
  return undefined;
}

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
