/** Git's delta format: base size, result size, then copy-from-base and insert instructions. */
import { constants } from 'node:buffer';
import { IntegrityError } from '../errors.js';

/** Most bytes one copy instruction can produce (a 3-byte size; 0 means 0x10000). */
const MAX_COPY = 0xffffff;

function readSize(delta: Uint8Array, pos: number): [number, number] {
  let size = 0;
  let shift = 0;
  let byte: number;
  do {
    if (pos >= delta.length) throw new IntegrityError('delta: truncated size');
    byte = delta[pos++];
    size += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [size, pos];
}

/** The base and result sizes a delta declares. */
export function deltaSizes(delta: Uint8Array): { base: number; result: number } {
  const [base, pos] = readSize(delta, 0);
  const [result] = readSize(delta, pos);
  return { base, result };
}

export function applyDelta(base: Uint8Array, delta: Uint8Array): Buffer {
  let [baseSize, pos] = readSize(delta, 0);
  if (baseSize !== base.length) throw new IntegrityError(`delta: base is ${base.length} bytes, delta expects ${baseSize}`);
  let resultSize: number;
  [resultSize, pos] = readSize(delta, pos);
  // Checked before allocating: a bigger size would be a bare RangeError from Buffer.
  if (resultSize > constants.MAX_LENGTH) {
    throw new IntegrityError(`delta: result of ${resultSize} bytes is larger than the largest object this server can hold (${constants.MAX_LENGTH} bytes)`, { resultSize });
  }
  // Nor may a tiny delta make us allocate a huge result it cannot fill: each instruction byte yields at most one copy's worth.
  const reachable = (delta.length - pos) * Math.max(1, Math.min(base.length, MAX_COPY));
  if (resultSize > reachable) throw new IntegrityError(`delta: declares a ${resultSize}-byte result that its ${delta.length - pos} instruction bytes cannot produce`);
  const out = Buffer.allocUnsafe(resultSize);
  const operand = () => {
    if (pos >= delta.length) throw new IntegrityError('delta: copy instruction cut short');
    return delta[pos++];
  };
  let written = 0;
  while (pos < delta.length) {
    const op = delta[pos++];
    if (op & 0x80) {
      let offset = 0;
      let size = 0;
      if (op & 0x01) offset = operand();
      if (op & 0x02) offset |= operand() << 8;
      if (op & 0x04) offset |= operand() << 16;
      if (op & 0x08) offset = (offset | (operand() << 24)) >>> 0;
      if (op & 0x10) size = operand();
      if (op & 0x20) size |= operand() << 8;
      if (op & 0x40) size |= operand() << 16;
      if (size === 0) size = 0x10000;
      if (offset + size > base.length || written + size > resultSize) throw new IntegrityError('delta: copy outside the base or result');
      out.set(base.subarray(offset, offset + size), written);
      written += size;
    } else if (op > 0) {
      if (pos + op > delta.length || written + op > resultSize) throw new IntegrityError('delta: insert past the end');
      out.set(delta.subarray(pos, pos + op), written);
      written += op;
      pos += op;
    } else {
      throw new IntegrityError('delta: reserved instruction 0');
    }
  }
  if (written !== resultSize) throw new IntegrityError(`delta: produced ${written} bytes, expected ${resultSize}`);
  return out;
}
