/**
 * Audit events in one partition per UTC day, clustered by (timestamp, id),
 * with the list of days that hold events in a small partition of its own, so
 * a query reads only the days it needs, in either order, page by page. Filters
 * other than time are applied while paging (CQL has no index for them here,
 * and ALLOW FILTERING is never used). Event ids are unique by a claim.
 */
import type { EventCountQuery, EventQuery } from '../../driver.js';
import { recordError } from '../../conflicts.js';
import { matchesEvent } from '../../filters.js';
import type { AuditEvent } from '../../types.js';
import { decodeEvent, encodeEvent } from '../kv/records.js';
import type { Claims } from './claims.js';
import type { Session, Statement } from './session.js';

const DAY_MS = 86_400_000;
const PAGE = 500;
const dayOf = (ms: number) => Math.floor(ms / DAY_MS);

export class ScyllaEvents {
  private readonly ns: string;

  constructor(
    private readonly session: Session,
    private readonly claims: Claims,
  ) {
    this.ns = session.settings.namespace;
  }

  /** Claims the event's id; a second event with that id is a conflict (unless the first never got its row). */
  async claim(event: AuditEvent): Promise<void> {
    const ts = event.timestamp.getTime();
    const { applied, holder } = await this.claims.insert('event', event.id, String(ts));
    if (applied) return;
    if (holder === String(ts)) {
      const rs = await this.session.run('SELECT id FROM events WHERE ns = ? AND day = ? AND ts = ? AND id = ?', [this.ns, dayOf(ts), ts, event.id]);
      if (rs.rows.length === 0) return; // a write that stopped after its claim: finish it
    }
    throw recordError({ kind: 'event-exists', id: event.id });
  }

  /** The event's row and its day, plain writes (the id is already claimed). */
  statements(event: AuditEvent): Statement[] {
    const ts = event.timestamp.getTime();
    return [
      { query: 'INSERT INTO events (ns, day, ts, id, record) VALUES (?, ?, ?, ?, ?)', params: [this.ns, dayOf(ts), ts, event.id, encodeEvent(event)] },
      { query: 'INSERT INTO event_days (ns, day) VALUES (?, ?)', params: [this.ns, dayOf(ts)] },
    ];
  }

  /** Days holding events within [since, until), in `order`. */
  private async days(q: EventCountQuery, order: 'asc' | 'desc'): Promise<number[]> {
    const params: unknown[] = [this.ns];
    let cql = 'SELECT day FROM event_days WHERE ns = ?';
    if (q.since !== undefined) {
      cql += ' AND day >= ?';
      params.push(dayOf(q.since));
    }
    if (q.until !== undefined) {
      cql += ' AND day <= ?';
      params.push(dayOf(q.until - 1));
    }
    const days: number[] = [];
    await this.session.eachPage(`${cql} ORDER BY day ${order.toUpperCase()}`, params, 5000, (rows) => {
      for (const r of rows) days.push(r.day as number);
    });
    return days;
  }

  /** Calls `onEvent` with matching events in order until it returns false. */
  private async scan(q: EventQuery | (EventCountQuery & { order: 'asc' | 'desc' }), onEvent: (e: AuditEvent) => boolean): Promise<void> {
    const order = q.order;
    const after = 'after' in q ? q.after : undefined;
    let lo = q.since;
    let hi = q.until;
    if (after && order === 'asc') lo = Math.max(lo ?? -Infinity, after.timestamp);
    if (after && order === 'desc') hi = Math.min(hi ?? Infinity, after.timestamp + 1);
    let going = true;
    for (const day of await this.days({ since: lo, until: hi }, order)) {
      const params: unknown[] = [this.ns, day];
      let cql = 'SELECT record FROM events WHERE ns = ? AND day = ?';
      if (lo !== undefined) {
        cql += ' AND ts >= ?';
        params.push(lo);
      }
      if (hi !== undefined) {
        cql += ' AND ts < ?';
        params.push(hi);
      }
      cql += order === 'desc' ? ' ORDER BY ts DESC, id DESC' : ' ORDER BY ts ASC, id ASC';
      await this.session.eachPage(cql, params, PAGE, (rows) => {
        for (const r of rows) {
          const e = decodeEvent(r.record as Buffer);
          if (matchesEvent(e, { ...q, after, order }) && !onEvent(e)) return (going = false);
        }
        return true;
      });
      if (!going) return;
    }
  }

  async query(q: EventQuery): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    let skip = q.offset;
    await this.scan(q, (e) => {
      if (skip > 0) skip--;
      else out.push(e);
      return out.length < q.limit;
    });
    return out;
  }

  async count(q: EventCountQuery): Promise<number> {
    let n = 0;
    await this.scan({ ...q, order: 'asc' }, () => {
      n++;
      return true;
    });
    return n;
  }
}
