/**
 * Object ids kept as raw bytes in the order pushed: 20 bytes per SHA-1 id
 * (32 per SHA-256) instead of a ~60-byte string and an array slot each, so
 * millions of them stay small. The bytes are in chunks of CHUNK_IDS ids
 * (the first grows to that size by doubling): a long list grows a chunk at
 * a time, where one buffer that doubles is up to half empty and, while it
 * moves, held twice (a list of 1.07M ids took 2^21 slots, 42 MB, and 63 MB
 * as it grew).
 */
/** Where `push` parses an id (synchronous, so one buffer serves every list). */
const scratch = Buffer.alloc(32);

/** Ids per chunk: 1.25 MiB of SHA-1 ids, 2 MiB of SHA-256. */
export const CHUNK_IDS = 1 << 16;
const SHIFT = 16;
const MASK = CHUNK_IDS - 1;

export class IdList {
  private chunks: Buffer[] = [];
  /** Bytes per id, known from the first one (20 for SHA-1, 32 for SHA-256). */
  private width = 0;
  private n = 0;
  /** Ids the chunks hold room for. */
  private capacity = 0;

  /** `initial`: ids the first chunk makes room for (at most CHUNK_IDS; the list grows past it). */
  constructor(private readonly initial = 1024) {}

  get length(): number {
    return this.n;
  }

  /** Bytes per id; 0 until the first is pushed. */
  get idBytes(): number {
    return this.width;
  }

  /** Appends `hexId`; returns its position. */
  push(hexId: string): number {
    if (!this.parse(hexId, scratch)) throw new RangeError(`not a ${this.width ? this.width * 2 : '40- or 64'}-digit hex id: ${hexId}`);
    return this.pushRaw(scratch);
  }

  /** Appends the raw id at `key[0..width)` (a key parsed by `parse`); returns its position. */
  pushRaw(key: Buffer): number {
    if (this.n === this.capacity) this.room();
    key.copy(this.chunks[this.n >>> SHIFT], (this.n & MASK) * this.width, 0, this.width);
    return this.n++;
  }

  at(i: number): string {
    this.check(i);
    const at = (i & MASK) * this.width;
    return this.chunks[i >>> SHIFT].toString('hex', at, at + this.width);
  }

  /**
   * Parses `hexId` into `key` (at least 32 bytes); false when it is not an
   * id of this list's width (any width while the list is empty: it then
   * takes that width).
   */
  parse(hexId: string, key: Buffer): boolean {
    const width = this.width || hexId.length / 2;
    if (width !== 20 && width !== 32) return false;
    if (hexId.length !== width * 2 || !parseHex(hexId, key, width)) return false;
    if (this.capacity === 0) this.start(width);
    return true;
  }

  /** Whether the id at `i` is the one in `key`. */
  matches(i: number, key: Buffer): boolean {
    // A loop the JIT compiles beats Buffer.compare's argument checks at this size; a miss stops at the first byte.
    const w = this.width;
    const bytes = this.chunks[i >>> SHIFT];
    for (let k = 0, at = (i & MASK) * w; k < w; k++) if (bytes[at + k] !== key[k]) return false;
    return true;
  }

  /** A 32-bit hash of the id at `i` (ids are hashes already: two of their words, mixed). */
  hashAt(i: number): number {
    return idHash(this.chunks[i >>> SHIFT], (i & MASK) * this.width, this.width);
  }

  /** Orders the ids at `i` and `j` as their hex strings order. */
  compare(i: number, j: number): number {
    const w = this.width;
    const a = (i & MASK) * w;
    const b = (j & MASK) * w;
    return this.chunks[i >>> SHIFT].compare(this.chunks[j >>> SHIFT], b, b + w, a, a + w);
  }

  /** The id's first 6 bytes as a number: sorts as the id does, for a quick first key. */
  prefixAt(i: number): number {
    return this.chunks[i >>> SHIFT].readUIntBE((i & MASK) * this.width, 6);
  }

  /** Copies the raw id at `i` to `target` at `at`. */
  copyTo(i: number, target: Buffer, at: number): void {
    const from = (i & MASK) * this.width;
    this.chunks[i >>> SHIFT].copy(target, at, from, from + this.width);
  }

  private start(width: number): void {
    this.width = width;
    this.capacity = Math.min(CHUNK_IDS, Math.max(1, this.initial));
    this.chunks.push(Buffer.allocUnsafe(this.capacity * width));
  }

  /** Room for one more id: the first chunk doubles up to CHUNK_IDS ids, then whole chunks are added. */
  private room(): void {
    if (this.capacity < CHUNK_IDS) {
      const grown = Buffer.allocUnsafe(Math.min(CHUNK_IDS, this.capacity * 2) * this.width);
      this.chunks[0].copy(grown, 0, 0, this.n * this.width);
      this.chunks[0] = grown;
      this.capacity = grown.length / this.width;
    } else {
      this.chunks.push(Buffer.allocUnsafe(CHUNK_IDS * this.width));
      this.capacity += CHUNK_IDS;
    }
  }

  private check(i: number): void {
    if (this.n === 0 || i < 0 || i >= this.n || !Number.isInteger(i)) throw new RangeError(`id index ${i} is outside 0..${this.n - 1}`);
  }
}

/** Nibble of each UTF-16 code unit (16 for what is no hex digit): one lookup a char, none out of range. */
const NIBBLE = new Uint8Array(65536).fill(16);
for (let c = 0; c < 10; c++) NIBBLE[48 + c] = c;
for (let c = 0; c < 6; c++) NIBBLE[97 + c] = NIBBLE[65 + c] = 10 + c;

/** `hex` (2 * width digits) into `key`; false on a char that is no hex digit. A JS loop: Buffer.write's native call costs more than 20 bytes. */
function parseHex(hex: string, key: Buffer, width: number): boolean {
  for (let k = 0; k < width; k++) {
    const hi = NIBBLE[hex.charCodeAt(2 * k)];
    const lo = NIBBLE[hex.charCodeAt(2 * k + 1)];
    if ((hi | lo) > 15) return false;
    key[k] = (hi << 4) | lo;
  }
  return true;
}

/** A 32-bit hash of the raw id at `buf[at..at+width)`. */
export function idHash(buf: Buffer, at: number, width: number): number {
  const end = at + width - 4;
  const first = buf[at] | (buf[at + 1] << 8) | (buf[at + 2] << 16) | (buf[at + 3] << 24);
  const last = buf[end] | (buf[end + 1] << 8) | (buf[end + 2] << 16) | (buf[end + 3] << 24);
  return Math.imul(first ^ last, 0x9e3779b1) >>> 0;
}
