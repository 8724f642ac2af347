/**
 * Literal prefix filters as index ranges: `col >= prefix AND col < upper`,
 * where upper is the least string greater than every string starting with
 * prefix, in code point order (= UTF-8 byte order = COLLATE "C"). No LIKE, so
 * `%` and `_` are plain characters.
 */
import { prefixUpperBound } from '../../prefix-bound.js';

export { prefixUpperBound };

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
