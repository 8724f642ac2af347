/**
 * Paths printed the way git prints them (quote_c_style): in double quotes with
 * C escapes when they hold control characters, `"` or `\`, and, when
 * `quoteHighBytes` (git's core.quotepath, on by default), bytes >= 0x80 as octal.
 */
const ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 9: '\\t', 10: '\\n', 11: '\\v', 12: '\\f', 13: '\\r', 34: '\\"', 92: '\\\\' };

export function quotePath(path: Uint8Array, quoteHighBytes = true): Buffer {
  const needs = (byte: number) => byte < 0x20 || byte === 0x22 || byte === 0x5c || byte === 0x7f || (quoteHighBytes && byte >= 0x80);
  if (!path.some(needs)) return Buffer.from(path);
  let out = '"';
  const raw: number[] = [];
  const flush = () => {
    if (raw.length) out += Buffer.from(raw).toString('latin1');
    raw.length = 0;
  };
  for (const byte of path) {
    if (!needs(byte)) {
      raw.push(byte);
      continue;
    }
    flush();
    out += ESCAPES[byte] ?? '\\' + byte.toString(8).padStart(3, '0');
  }
  flush();
  return Buffer.from(out + '"', 'latin1');
}
