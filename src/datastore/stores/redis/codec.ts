/** How records and ordered index members are laid out in Redis values (objects: entry-value.ts). */
import type { Ref } from '../../types.js';

// ---- refs: "d:<object id>" or "s:<ref name>" ----
export function encodeRefTarget(target: string, symbolic: boolean): string {
  return (symbolic ? 's:' : 'd:') + target;
}

export function decodeRef(name: string, value: string): Ref {
  return { name, type: value.startsWith('s:') ? 'symbolic' : 'direct', target: value.slice(2) };
}

// ---- records: JSON, dates as epoch milliseconds (record-json.ts, shared with the kv stores) ----
export {
  eventFromJson as decodeEvent,
  eventToJson as encodeEvent,
  repositoryFromJson as decodeRepository,
  repositoryToJson as encodeRepository,
  storedEventToEvent as eventFromJson,
  userFromJson as decodeUser,
  userToJson as encodeUser,
  type StoredEvent,
} from '../../record-json.js';

// ---- events are ordered by (timestamp, id): index members are a fixed-width timestamp then the id ----
/** Dates span ±8.64e15 ms; shifted to be non-negative they fit 14 hex digits, so byte order = time order. */
const TIME_SHIFT = 8.64e15;

export function timeKey(ms: number): string {
  return (ms + TIME_SHIFT).toString(16).padStart(14, '0');
}

export function eventMember(timestampMs: number, id: string): string {
  return timeKey(timestampMs) + id;
}

// ---- lex ranges for ZRANGEBYLEX over UTF-8 members ----
export type LexBound = string | Buffer;

/**
 * The [min, max] bounds for members starting with `prefix` and strictly after
 * `after`. 0xFF never occurs in UTF-8, so `prefix + 0xFF` bounds every member
 * that starts with the prefix.
 */
export function lexRange(prefix: string, after: string | undefined): [LexBound, LexBound] {
  const min = after !== undefined && Buffer.compare(Buffer.from(after), Buffer.from(prefix)) >= 0 ? `(${after}` : prefix ? `[${prefix}` : '-';
  const max = prefix ? Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([0xff])]) : '+';
  return [min, max];
}
