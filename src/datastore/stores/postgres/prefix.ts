/**
 * Literal prefix filters as index ranges: `col >= prefix AND col < upper`,
 * where upper is the least string greater than every string starting with
 * prefix, in code point order (= UTF-8 byte order = COLLATE "C"). No LIKE, so
 * `%` and `_` are plain characters.
 */
const MAX_CODE_POINT = 0x10ffff;

/** The exclusive upper bound of strings starting with `prefix`; undefined when there is none. */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < MAX_CODE_POINT) {
      // Surrogate code points never reach the database (they are not valid UTF-8); skip over them.
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return String.fromCodePoint(...points, next);
    }
  }
  return undefined;
}

/**
 * Appends `column >= $n [AND column < $m]` for a prefix to `where`, pushing
 * the bounds onto `values`. An empty prefix adds `column IS NOT NULL`-like
 * lower bound only.
 */
export function addPrefixRange(column: string, prefix: string, where: string[], values: unknown[]): void {
  values.push(prefix);
  where.push(`${column} >= $${values.length}`);
  const upper = prefixUpperBound(prefix);
  if (upper !== undefined && prefix !== '') {
    values.push(upper);
    where.push(`${column} < $${values.length}`);
  }
}
