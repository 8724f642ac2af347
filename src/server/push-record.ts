/** What a push leaves behind, the same over HTTP and SSH: its metrics and the details of its `git.push` audit event. */
import type { JsonObject } from '../datastore/types.js';
import type { PushResult } from '../git/protocol/index.js';
import type { ServerMetrics } from './metrics.js';

export function countPush(metrics: ServerMetrics, result: PushResult): void {
  const failed = result.unpackError !== undefined || result.commands.some((c) => c.error);
  metrics.gitOperations.inc({ service: 'receive-pack', result: failed ? 'refused' : 'ok' });
  metrics.packObjects.inc({ direction: 'received' }, result.objects);
  metrics.packBytes.inc({ direction: 'received' }, result.packBytes);
  for (const c of result.commands) metrics.refUpdates.inc({ result: c.error ? 'refused' : 'ok' });
}

export function pushDetails(result: PushResult): JsonObject {
  return {
    atomic: result.atomic,
    objects: result.objects,
    ...(result.unpackError ? { unpackError: result.unpackError } : {}),
    ...(result.options.length ? { pushOptions: result.options } : {}),
    ...(result.shallow.length ? { shallowClient: true } : {}),
    refs: result.commands.map((c) => ({ ref: c.ref, old: c.old, new: c.new, result: c.error ?? 'ok' })),
  };
}
