/**
 * A strict, slow reading of git's delta format to compare applyDelta with:
 * every byte an instruction needs must be there, and nothing is allocated
 * before it is produced. Returns the result, or why the delta is invalid.
 */
export function referenceDelta(base: Uint8Array, delta: Uint8Array): Buffer | string {
  let pos = 0;
  const size = (): number | undefined => {
    let value = 0;
    for (let shift = 0; pos < delta.length; shift += 7) {
      const byte = delta[pos++];
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return value;
    }
    return undefined;
  };
  const baseSize = size();
  const resultSize = size();
  if (baseSize === undefined || resultSize === undefined) return 'truncated size';
  if (baseSize !== base.length) return 'base size mismatch';
  const parts: Uint8Array[] = [];
  let written = 0;
  while (pos < delta.length) {
    const op = delta[pos++];
    let piece: Uint8Array;
    if (op & 0x80) {
      const field = (bits: number[]) => {
        let v = 0;
        for (const [i, bit] of bits.entries()) {
          if (!(op & bit)) continue;
          if (pos >= delta.length) return undefined;
          v += delta[pos++] * 2 ** (8 * i);
        }
        return v;
      };
      const offset = field([0x01, 0x02, 0x04, 0x08]);
      const n = field([0x10, 0x20, 0x40]);
      if (offset === undefined || n === undefined) return 'truncated copy';
      const length = n === 0 ? 0x10000 : n;
      if (offset + length > base.length) return 'copy outside the base';
      piece = base.subarray(offset, offset + length);
    } else if (op > 0) {
      if (pos + op > delta.length) return 'truncated insert';
      piece = delta.subarray(pos, pos + op);
      pos += op;
    } else {
      return 'reserved instruction 0';
    }
    written += piece.length;
    if (written > resultSize) return 'result longer than declared';
    parts.push(piece);
  }
  if (written !== resultSize) return 'result shorter than declared';
  return Buffer.concat(parts);
}
