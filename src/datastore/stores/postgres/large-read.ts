/**
 * Reading large objects without hex: pg returns bytea as hex text (twice the
 * size, then decoded), so data above LARGE_OBJECT_BYTES is read with
 * `COPY (SELECT data ...) TO STDOUT (FORMAT binary)` instead, raw bytes.
 */
import type { Executor } from './executor.js';

/** Objects up to this size come back inline with the row; larger ones by COPY. */
export const LARGE_OBJECT_BYTES = 1024 * 1024;

const HEADER_BYTES = 11 + 4 + 4;

/** The single bytea field of a one-row, one-column binary COPY stream. */
export function parseSingleFieldCopy(copy: Buffer): Buffer | undefined {
  let at = HEADER_BYTES + copy.readInt32BE(HEADER_BYTES - 4);
  const fields = copy.readInt16BE(at);
  if (fields !== 1) return undefined; // -1: trailer, no row
  at += 2;
  const length = copy.readInt32BE(at);
  at += 4;
  return length < 0 ? undefined : copy.subarray(at, at + length);
}

export async function readLargeObject(exec: Executor, id: string): Promise<Buffer | undefined> {
  // COPY takes no parameters; ids are validated lowercase hex, checked again here before inlining.
  if (!/^[0-9a-f]{40,64}$/.test(id)) throw new Error(`not an object id: ${JSON.stringify(id)}`);
  return exec.copyOut(`COPY (SELECT data FROM objects WHERE id = '${id}') TO STDOUT (FORMAT binary)`, async (stream) => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return parseSingleFieldCopy(Buffer.concat(chunks));
  });
}
