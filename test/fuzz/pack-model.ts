/**
 * A pack as a list of entries (type code, inflated payload, delta base), and
 * back to bytes with headers, offsets and checksum consistent. Mutating at
 * this level gets past zlib and the checksum into the code that resolves
 * deltas; byte mutations of the whole file cover the framing.
 */
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import { mutate, type Rng } from './mutate.js';

export interface Entry {
  code: number;
  payload: Buffer;
  /** ofs-delta: index of the base entry; or a raw distance to write instead. */
  base?: number;
  distance?: number;
  /** ref-delta: the base id. */
  baseId?: Buffer;
  /** A size to declare instead of the payload's length. */
  size?: number;
}

export interface Pack {
  entries: Entry[];
  /** A count to declare instead of entries.length. */
  count?: number;
}

const ID = 20;

/** Parses a valid sha1 pack (one we made with git). */
export function parsePack(bytes: Buffer): Pack {
  const count = bytes.readUInt32BE(8);
  const entries: Entry[] = [];
  const offsets: number[] = [];
  let pos = 12;
  for (let i = 0; i < count; i++) {
    offsets.push(pos);
    let byte = bytes[pos++];
    const code = (byte >> 4) & 7;
    while (byte & 0x80) byte = bytes[pos++];
    const entry: Entry = { code, payload: Buffer.alloc(0) };
    if (code === 6) {
      byte = bytes[pos++];
      let back = byte & 0x7f;
      while (byte & 0x80) {
        byte = bytes[pos++];
        back = (back + 1) * 128 + (byte & 0x7f);
      }
      entry.base = offsets.indexOf(offsets[i] - back);
    } else if (code === 7) {
      entry.baseId = bytes.subarray(pos, pos + ID);
      pos += ID;
    }
    const { buffer, engine } = inflateSync(bytes.subarray(pos), { info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    entry.payload = buffer;
    pos += engine.bytesWritten;
    entries.push(entry);
  }
  return { entries };
}

function varint(first: number, size: number): number[] {
  const out: number[] = [];
  let byte = first | (size % 16);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    out.push(byte | 0x80);
    byte = rest % 128;
    rest = Math.floor(rest / 128);
  }
  out.push(byte);
  return out;
}

function ofsDistance(d: number): number[] {
  const out = [d % 128];
  d = Math.floor(d / 128);
  while (d > 0) {
    d -= 1;
    out.unshift(0x80 | d % 128);
    d = Math.floor(d / 128);
  }
  return out;
}

export function writePack(pack: Pack): Buffer {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE((pack.count ?? pack.entries.length) >>> 0, 8);
  const parts: Buffer[] = [head];
  const offsets: number[] = [];
  let offset = 12;
  for (const [i, e] of pack.entries.entries()) {
    offsets.push(offset);
    const bytes = varint((e.code & 7) << 4, e.size ?? e.payload.length);
    if (e.code === 6) bytes.push(...ofsDistance(Math.max(0, e.distance ?? offset - (offsets[e.base ?? i] ?? 12))));
    const header = Buffer.concat([Buffer.from(bytes), e.code === 7 ? (e.baseId ?? Buffer.alloc(ID)) : Buffer.alloc(0)]);
    const body = deflateSync(e.payload);
    parts.push(header, body);
    offset += header.length + body.length;
  }
  return withChecksum(Buffer.concat(parts));
}

/** Appends the sha1 trailer git and our reader check. */
export function withChecksum(body: Buffer): Buffer {
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

const SIZES = [0, 1, 0x7f, 0x80, 0xffff, 2 ** 31, 2 ** 32 + 5, 2 ** 40, 2 ** 53 - 1];

/** One structural change to a copy of `pack`. */
export function mutatePack(pack: Pack, rng: Rng): Pack {
  const entries = pack.entries.map((e) => ({ ...e }));
  const out: Pack = { entries };
  const k = rng.int(entries.length);
  const e = entries[k];
  switch (rng.int(8)) {
    case 0: // the payload: for a delta, its instructions
    case 1:
      e.payload = mutate(e.payload, rng, entries.map((x) => x.payload));
      break;
    case 2:
      e.size = rng.next() < 0.5 ? rng.pick(SIZES) : Math.max(0, e.payload.length + rng.int(5) - 2);
      break;
    case 3:
      e.code = rng.int(8);
      if (e.code === 7) e.baseId ??= Buffer.alloc(ID, rng.int(256));
      break;
    case 4: // another base: a later entry, itself, or a raw distance
      if (rng.next() < 0.5) e.base = rng.int(entries.length);
      else e.distance = rng.pick(SIZES);
      e.baseId = e.baseId ? Buffer.from(e.baseId.map((b, i) => (i === rng.int(ID) ? b ^ 1 : b))) : undefined;
      break;
    case 5: {
      const j = rng.int(entries.length);
      [entries[k], entries[j]] = [entries[j], entries[k]];
      break;
    }
    case 6:
      if (rng.next() < 0.5) entries.splice(k, 1);
      else entries.splice(k, 0, { ...e });
      break;
    default:
      out.count = rng.pick([0, entries.length - 1, entries.length + 1, 0xffffffff]);
  }
  return out;
}
