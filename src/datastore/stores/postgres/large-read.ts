/**
 * Reading large entries without hex: pg returns bytea as hex text (twice the
 * size, then decoded), so entry bytes above LARGE_ENTRY_BYTES are read with
 * `COPY (SELECT ... data ...) TO STDOUT (FORMAT binary)` instead, raw bytes.
 * The second read brings encoding and base along with the bytes, so a
 * replace between the two reads cannot pair one entry's fields with
 * another's bytes.
 */
import type { ObjectEncoding } from '../../types.js';
import type { Executor } from './executor.js';

/** Entry bytes up to this size come back inline with the row; larger ones by COPY. */
export const LARGE_ENTRY_BYTES = 1024 * 1024;

/** What the second read of a large entry gives: the fields that a replace may change, and the bytes. */
export interface LargeParts {
  encoding: ObjectEncoding;
  base: string | null;
  data: Buffer;
}

/** The same columns by plain SELECT, for dialects without COPY. */
export const LARGE_PARTS_SQL = 'SELECT encoding, base, data FROM objects WHERE id = $1';

const HEADER_BYTES = 11 + 4 + 4;

/** The fields of the one row of a binary COPY stream (null for NULL), or undefined when it has none. */
export function parseCopyRow(copy: Buffer): Array<Buffer | null> | undefined {
  let at = HEADER_BYTES + copy.readInt32BE(HEADER_BYTES - 4);
  const count = copy.readInt16BE(at);
  if (count < 0) return undefined; // -1: trailer, no row
  at += 2;
  const fields: Array<Buffer | null> = [];
  for (let i = 0; i < count; i++) {
    const length = copy.readInt32BE(at);
    at += 4;
    fields.push(length < 0 ? null : copy.subarray(at, at + length));
    at += Math.max(0, length);
  }
  return fields;
}

export async function readLargeEntry(exec: Executor, id: string): Promise<LargeParts | undefined> {
  // COPY takes no parameters; ids are validated lowercase hex, checked again here before inlining.
  if (!/^[0-9a-f]{40,64}$/.test(id)) throw new Error(`not an object id: ${JSON.stringify(id)}`);
  return exec.copyOut(`COPY (SELECT encoding, base, data FROM objects WHERE id = '${id}') TO STDOUT (FORMAT binary)`, async (stream) => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const row = parseCopyRow(Buffer.concat(chunks));
    if (!row) return undefined;
    const [encoding, base, data] = row;
    return { encoding: encoding!.readInt16BE(0) as ObjectEncoding, base: base?.toString('utf8') ?? null, data: data! };
  });
}
