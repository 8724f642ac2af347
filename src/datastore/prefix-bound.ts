/**
 * The exclusive upper bound of the strings that start with a prefix, in code
 * point order (= UTF-8 byte order = SQLite's BINARY and PostgreSQL's COLLATE
 * "C"), so a prefix filter becomes an index range `key >= prefix AND key < upper`.
 */
const MAX_CODE_POINT = 0x10ffff;

/** Undefined when there is none (the prefix is all U+10FFFF). */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last === MAX_CODE_POINT) continue;
    // Surrogate code points never appear in UTF-8 text; jump over them.
    const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
    return String.fromCodePoint(...points, next);
  }
  return undefined;
}
