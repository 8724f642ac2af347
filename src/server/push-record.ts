/** What a push leaves behind, the same over HTTP and SSH: its metrics and its `git.push` audit event. */
import type { JsonObject } from '../datastore/types.js';
import { pushEvent, type ProtocolSession, type PushEventBase, type PushResult } from '../git/protocol/index.js';
import type { ServerMetrics } from './metrics.js';

export function countPush(metrics: ServerMetrics, result: PushResult): void {
  const failed = result.unpackError !== undefined || result.commands.some((c) => c.error);
  metrics.gitOperations.inc({ service: 'receive-pack', result: failed ? 'refused' : 'ok' });
  metrics.packObjects.inc({ direction: 'received' }, result.objects);
  metrics.packBytes.inc({ direction: 'received' }, result.packBytes);
  for (const c of result.commands) metrics.refUpdates.inc({ result: c.error ? 'refused' : 'ok' });
}

/** The transport's part of a push's audit event, for the session: the engine records it with the ref update. */
export function pushEventBase(userId: string | null, details?: JsonObject): PushEventBase {
  return { action: 'git.push', userId, ...(details ? { details } : {}) };
}

/** Counts a push and records its audit event unless the engine recorded it with the ref update. */
export async function recordPush(session: ProtocolSession, metrics: ServerMetrics, result: PushResult): Promise<void> {
  countPush(metrics, result);
  if (session.pushEvent && !result.eventRecorded) await session.store.logEvent(pushEvent(session.pushEvent, session.repo, result));
}
