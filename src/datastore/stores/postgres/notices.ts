/**
 * Change notices: what a write tells subscribers through NOTIFY. A ref change
 * travels whole; an audit event travels as its id (subscribers fetch it). A
 * notice over NOTIFY's 8000-byte payload limit is parked in change_notices and
 * its row id sent instead.
 */
import { createHash } from 'node:crypto';
import type { Executor } from './executor.js';

export type ChangeNotice =
  | { kind: 'ref'; repositoryId: string; name: string; old: string | null; new: string | null }
  | { kind: 'audit'; id: string };

/** What goes over the wire: `s` numbers notices of one transaction, since NOTIFY folds identical payloads. */
export type WirePayload =
  | { k: 'r'; s: number; r: string; n: string; o: string | null; v: string | null }
  | { k: 'a'; s: number; id: string }
  | { k: 'b'; id: string };

/** Stay clear of the 8000-byte limit. */
const MAX_PAYLOAD_BYTES = 7900;

export const NOTICE_SQL = {
  park: 'INSERT INTO change_notices (payload) VALUES ($1) RETURNING id',
  prune: "DELETE FROM change_notices WHERE created_at < now() - interval '1 day'",
  fetchParked: 'SELECT payload FROM change_notices WHERE id = $1',
  notify: 'SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t (p, i) ORDER BY i',
} as const;

/** The NOTIFY channel of a store: one per schema, within 63 bytes. */
export function channelName(schema: string): string {
  const channel = `govc_changes_${schema}`;
  return channel.length <= 63 ? channel : `govc_changes_${createHash('sha1').update(schema).digest('hex').slice(0, 40)}`;
}

function toWire(notice: ChangeNotice, seq: number): WirePayload {
  return notice.kind === 'ref'
    ? { k: 'r', s: seq, r: notice.repositoryId, n: notice.name, o: notice.old, v: notice.new }
    : { k: 'a', s: seq, id: notice.id };
}

/** Sends the notices inside the current transaction; PostgreSQL delivers them at commit, in order. */
export async function sendNotices(exec: Executor, channel: string, notices: readonly ChangeNotice[]): Promise<void> {
  if (notices.length === 0) return;
  const payloads: string[] = [];
  let parked = false;
  for (let i = 0; i < notices.length; i++) {
    const text = JSON.stringify(toWire(notices[i], i));
    if (Buffer.byteLength(text) <= MAX_PAYLOAD_BYTES) {
      payloads.push(text);
      continue;
    }
    const { rows } = await exec.query<{ id: string }>(NOTICE_SQL.park, [text]);
    payloads.push(JSON.stringify({ k: 'b', id: String(rows[0].id) } satisfies WirePayload));
    parked = true;
  }
  if (parked) await exec.query(NOTICE_SQL.prune);
  await exec.query(NOTICE_SQL.notify, [channel, payloads]);
}
