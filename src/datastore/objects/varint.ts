/** Base-128 varints, low 7 bits first, high bit = more (git's delta sizes, our entry headers). */

export function pushVarint(out: number[], n: number): void {
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
}

/** The varint at `pos` and the position after it; undefined when it is cut short or longer than 8 bytes. */
export function readVarint(bytes: Uint8Array, pos: number): [number, number] | undefined {
  let n = 0;
  let scale = 1;
  for (let i = 0; i < 8 && pos < bytes.length; i++) {
    const b = bytes[pos++];
    n += (b & 0x7f) * scale;
    if (!(b & 0x80)) return [n, pos];
    scale *= 128;
  }
  return undefined;
}
