/**
 * The key schema. Every key starts with a namespace tag ending in ':'; no tag
 * is a prefix of another. Variable components are UTF-8 with 0x00 and 0x01
 * escaped (0x00 -> 01 01, 0x01 -> 01 02) and end with a 0x00 separator when
 * another component follows, so no repository id, ref name or user name can
 * reach into another key, and byte order of keys is the code point order of
 * the components (the order filters.ts defines).
 *
 *   o:<object id>                         object entry (object-value.ts)
 *   ob:<base id>\0<object id>             -> empty: the entries kept as deltas on a base
 *   r:<repository id>\0<ref name>         ref
 *   repo:<repository id>                  repository record
 *   u:<user id>                           user record
 *   c:<config key>                        config value
 *   e:<time8><event id>                   audit event record (time8 = ms, 8 bytes, order-preserving)
 *   xei:<event id>                        -> time8 (event ids are unique)
 *   xrn:<repository name>                 -> repository id (unique)
 *   xun:<username>                        -> user id (unique)
 *   xue:<email>                           -> user id (unique)
 *   xeu:<user id>\0<time8><event id>      events by user
 *   xea:<action>\0<time8><event id>       events by action
 *   xer:<repository id>\0<time8><event id> events by repository
 *   xes:<resource>\0<time8><event id>     events by resource
 *   m:<name>                              counters (objects, object bytes)
 */
import type { Bytes } from './engine.js';

export const NS = {
  object: 'o:',
  dependent: 'ob:',
  ref: 'r:',
  repository: 'repo:',
  user: 'u:',
  config: 'c:',
  event: 'e:',
  eventId: 'xei:',
  repositoryName: 'xrn:',
  username: 'xun:',
  email: 'xue:',
  eventsByUser: 'xeu:',
  eventsByAction: 'xea:',
  eventsByRepository: 'xer:',
  eventsByResource: 'xes:',
  meta: 'm:',
} as const;

export type EventIndexField = 'userId' | 'action' | 'repositoryId' | 'resource';

export const EVENT_INDEX_NS: Record<EventIndexField, string> = {
  userId: NS.eventsByUser,
  action: NS.eventsByAction,
  repositoryId: NS.eventsByRepository,
  resource: NS.eventsByResource,
};

const SEPARATOR = 0x00;
const ESCAPE = 0x01;

/** UTF-8 of `text` with 0x00 and 0x01 escaped; order-preserving and free of 0x00. */
export function escapeComponent(text: string): Buffer {
  const raw = Buffer.from(text, 'utf8');
  if (!raw.includes(SEPARATOR) && !raw.includes(ESCAPE)) return raw;
  const out: number[] = [];
  for (const b of raw) {
    if (b === SEPARATOR) out.push(ESCAPE, 0x01);
    else if (b === ESCAPE) out.push(ESCAPE, 0x02);
    else out.push(b);
  }
  return Buffer.from(out);
}

export function unescapeComponent(bytes: Bytes): string {
  if (!bytes.includes(ESCAPE)) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  const out: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] === ESCAPE) out.push(bytes[++i] === 0x01 ? SEPARATOR : ESCAPE);
    else out.push(bytes[i]);
  }
  return Buffer.from(out).toString('utf8');
}

/** A key from its namespace and parts; strings are escaped, the last one needs no separator. */
export function key(ns: string, ...parts: Array<string | Bytes>): Buffer {
  const chunks: Buffer[] = [Buffer.from(ns, 'latin1')];
  parts.forEach((p, i) => {
    chunks.push(typeof p === 'string' ? escapeComponent(p) : Buffer.from(p.buffer, p.byteOffset, p.byteLength));
    if (typeof p === 'string' && i < parts.length - 1) chunks.push(Buffer.of(SEPARATOR));
  });
  return Buffer.concat(chunks);
}

/** `key(ns, ...parts)` followed by a separator: the prefix of every key under those parts. */
export function keyPrefix(ns: string, ...parts: string[]): Buffer {
  return Buffer.concat([key(ns, ...parts), Buffer.of(SEPARATOR)]);
}

/** The smallest key greater than every key starting with `prefix` (undefined: none, prefix is all 0xff). */
export function prefixEnd(prefix: Bytes): Buffer | undefined {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] < 0xff) {
      end[i]++;
      return end.subarray(0, i + 1);
    }
  }
  return undefined;
}

const TIME_BIAS = 1n << 63n;

/** Epoch milliseconds as 8 big-endian bytes whose byte order is numeric order (negative times too). */
export function encodeTime(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(ms) + TIME_BIAS);
  return b;
}

export function decodeTime(bytes: Bytes, offset = 0): number {
  return Number(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).readBigUInt64BE(offset) - TIME_BIAS);
}

/** The `<time8><event id>` suffix shared by the event record key and every event index key. */
export function eventSuffix(timestamp: number, id: string): Buffer {
  return Buffer.concat([encodeTime(timestamp), Buffer.from(id, 'utf8')]);
}

export function eventKey(timestamp: number, id: string): Buffer {
  return Buffer.concat([Buffer.from(NS.event, 'latin1'), eventSuffix(timestamp, id)]);
}

/** The index key of one event under one field value. */
export function eventIndexKey(field: EventIndexField, value: string, timestamp: number, id: string): Buffer {
  return Buffer.concat([keyPrefix(EVENT_INDEX_NS[field], value), eventSuffix(timestamp, id)]);
}

/** The reverse-index key of a delta entry on its base. */
export function dependentKey(base: string, id: string): Buffer {
  return key(NS.dependent, base, id);
}

/** The text after a namespace (a last component). */
export function lastComponent(k: Bytes, prefixLength: number): string {
  const b = toBuffer(k);
  // Decoding in place, without a subarray: lists call this once per entry.
  if (b.indexOf(ESCAPE, prefixLength) < 0) return b.toString('utf8', prefixLength);
  return unescapeComponent(b.subarray(prefixLength));
}

export function toBuffer(b: Bytes): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function compareBytes(a: Bytes, b: Bytes): number {
  return Buffer.compare(toBuffer(a), toBuffer(b));
}
