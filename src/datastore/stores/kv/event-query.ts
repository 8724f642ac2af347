/**
 * Audit event queries over the time-ordered record keys and the per-field
 * indexes. One equality filter picks an index whose keys end in the same
 * (time, id) suffix as the records, so a filtered page reads about as many
 * entries as it returns, in order, either direction, after a cursor.
 */
import type { EventCountQuery, EventPosition, EventQuery } from '../../driver.js';
import { compareEventPosition, compareStrings, matchesEvent } from '../../filters.js';
import type { AuditEvent } from '../../types.js';
import type { Bytes, KvEngine, KvRange } from './engine.js';
import {
  EVENT_INDEX_NS,
  NS,
  decodeTime,
  encodeTime,
  escapeComponent,
  eventKey,
  eventSuffix,
  keyPrefix,
  prefixEnd,
  toBuffer,
  type EventIndexField,
} from './keys.js';
import { eachEntry } from './iterate.js';
import { decodeEvent } from './records.js';
import { joinScan } from './scan.js';

/** Most selective first, as a guess: a resource or a user usually has fewer events than an action. */
const INDEX_PREFERENCE: EventIndexField[] = ['resource', 'userId', 'repositoryId', 'action'];

interface Access {
  /** Keys under this prefix end in <time8><event id>. */
  prefix: Buffer;
  /** The prefix is the record namespace itself (values are records). */
  records: boolean;
  /** Filters the keys do not express; checked on each record. */
  residual: boolean;
}

type Filters = EventCountQuery & { after?: EventPosition; order?: 'asc' | 'desc' };

function chooseAccess(q: Filters): Access {
  const field = INDEX_PREFERENCE.find((f) => q[f] !== undefined);
  const others = INDEX_PREFERENCE.filter((f) => f !== field && q[f] !== undefined).length > 0;
  const residual = others || q.resourcePrefix !== undefined;
  if (field === undefined) return { prefix: Buffer.from(NS.event, 'latin1'), records: true, residual };
  return { prefix: keyPrefix(EVENT_INDEX_NS[field], q[field] as string), records: false, residual };
}

/** since/until/after as key bounds under the access prefix. */
function timeRange(prefix: Buffer, q: Filters): KvRange {
  const range: KvRange = { reverse: q.order === 'desc' };
  const lower = q.since !== undefined ? Buffer.concat([prefix, encodeTime(q.since)]) : prefix;
  const upper = q.until !== undefined ? Buffer.concat([prefix, encodeTime(q.until)]) : prefixEnd(prefix);
  range.gte = lower;
  range.lt = upper;
  if (q.after) {
    const at = Buffer.concat([prefix, eventSuffix(q.after.timestamp, q.after.id)]);
    if (q.order === 'desc') {
      if (!upper || Buffer.compare(at, upper) < 0) range.lt = at;
    } else if (Buffer.compare(at, lower) >= 0) {
      delete range.gte;
      range.gt = at;
    }
  }
  return range;
}

function recordKeyOf(access: Access, indexKey: Bytes): Buffer {
  return Buffer.concat([Buffer.from(NS.event, 'latin1'), toBuffer(indexKey).subarray(access.prefix.length)]);
}

async function fetchEvents(engine: KvEngine, access: Access, entries: Array<{ key: Bytes; value: Bytes }>): Promise<Array<AuditEvent | undefined>> {
  if (access.records) return entries.map((e) => decodeEvent(e.value));
  const values = await engine.getMany(entries.map((e) => recordKeyOf(access, e.key)));
  return values.map((v) => (v === undefined ? undefined : decodeEvent(v)));
}

export async function queryEvents(engine: KvEngine, q: EventQuery): Promise<AuditEvent[]> {
  if (q.resourcePrefix !== undefined && !INDEX_PREFERENCE.some((f) => q[f] !== undefined)) return queryByResourcePrefix(engine, q);
  const access = chooseAccess(q);
  return joinScan(engine, {
    range: { ...timeRange(access.prefix, q), keysOnly: !access.records },
    fetch: (entries) => fetchEvents(engine, access, entries),
    accept: access.residual ? (e) => matchesEvent(e, q) : undefined,
    offset: q.offset,
    limit: q.limit,
  });
}

export async function countEvents(engine: KvEngine, q: EventCountQuery): Promise<number> {
  if (q.resourcePrefix !== undefined && !INDEX_PREFERENCE.some((f) => q[f] !== undefined)) {
    return (await resourcePrefixPositions(engine, q)).length;
  }
  const access = chooseAccess(q);
  const range = timeRange(access.prefix, q);
  let n = 0;
  if (!access.residual) {
    for await (const chunk of engine.scan({ ...range, keysOnly: true })) n += chunk.length;
    return n;
  }
  const batch: Array<{ key: Bytes; value: Bytes }> = [];
  const flush = async () => {
    for (const e of await fetchEvents(engine, access, batch)) if (e && matchesEvent(e, q)) n++;
    batch.length = 0;
  };
  for await (const chunk of engine.scan({ ...range, keysOnly: !access.records })) {
    batch.push(...chunk);
    if (batch.length >= 256) await flush();
  }
  await flush();
  return n;
}

interface Position extends EventPosition {
  key: Buffer;
}

/**
 * A resource prefix spans many index groups (one per resource), each in time
 * order; their matching positions are read from keys alone and sorted.
 */
async function resourcePrefixPositions(engine: KvEngine, q: Filters): Promise<Position[]> {
  const ns = Buffer.from(EVENT_INDEX_NS.resource, 'latin1');
  const start = Buffer.concat([ns, escapeComponent(q.resourcePrefix ?? '')]);
  const out: Position[] = [];
  for await (const { key } of eachEntry(engine, { gte: start, lt: prefixEnd(start), keysOnly: true })) {
    const k = toBuffer(key);
    const suffix = k.subarray(k.indexOf(0, ns.length) + 1);
    const position = { timestamp: decodeTime(suffix), id: suffix.subarray(8).toString('utf8') };
    if (q.since !== undefined && position.timestamp < q.since) continue;
    if (q.until !== undefined && position.timestamp >= q.until) continue;
    if (q.after) {
      const c = compareEventPosition(position, q.after);
      if (q.order === 'desc' ? c >= 0 : c <= 0) continue;
    }
    out.push({ ...position, key: eventKey(position.timestamp, position.id) });
  }
  return out;
}

async function queryByResourcePrefix(engine: KvEngine, q: EventQuery): Promise<AuditEvent[]> {
  const sign = q.order === 'desc' ? -1 : 1;
  const positions = (await resourcePrefixPositions(engine, q)).sort(
    (a, b) => sign * (a.timestamp - b.timestamp || compareStrings(a.id, b.id)),
  );
  const page = positions.slice(q.offset, q.offset + q.limit);
  const values = await engine.getMany(page.map((p) => p.key));
  return values.filter((v): v is Bytes => v !== undefined).map(decodeEvent);
}
