/**
 * The header block shared by commits and tags: `key value` lines, where a line
 * starting with a space continues the previous value (gpgsig, mergetag), then a
 * blank line and the message.
 */
import { IntegrityError } from '../../datastore/errors.js';

export interface Header {
  key: string;
  /** Continuation lines joined with "\n"; null for a line with no space after the key. */
  value: string | null;
}

export interface HeaderBlock {
  headers: Header[];
  /** Everything after the blank line; null when the object has no blank line at all. */
  message: string | null;
}

export function parseHeaderBlock(text: string, what: string): HeaderBlock {
  const headers: Header[] = [];
  let pos = 0;
  while (pos < text.length) {
    const end = text.indexOf('\n', pos);
    if (end < 0) throw new IntegrityError(`${what}: header line does not end with a newline`);
    const line = text.slice(pos, end);
    pos = end + 1;
    if (line === '') return { headers, message: text.slice(pos) };
    if (line.startsWith(' ')) {
      const last = headers[headers.length - 1];
      if (!last) throw new IntegrityError(`${what}: continuation line before any header`);
      last.value = (last.value ?? '') + '\n' + line.slice(1);
      continue;
    }
    const space = line.indexOf(' ');
    headers.push(space < 0 ? { key: line, value: null } : { key: line.slice(0, space), value: line.slice(space + 1) });
  }
  return { headers, message: null };
}

export function formatHeaderBlock(block: HeaderBlock): string {
  let out = '';
  for (const h of block.headers) {
    out += h.value === null ? `${h.key}\n` : `${h.key} ${h.value.replace(/\n/g, '\n ')}\n`;
  }
  if (block.message !== null) out += '\n' + block.message;
  return out;
}
