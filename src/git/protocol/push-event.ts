/**
 * A push's audit event, the same over every transport: who pushed and how
 * (the transport's part, in the session), then what the push did. The engine
 * records it in the write that moves the refs (ref-updates.ts), so a crash
 * between the ref update and the event cannot lose the event.
 */
import type { EventInput } from '../../datastore/inputs.js';
import type { JsonObject, Repository } from '../../datastore/types.js';
import type { PushResult } from './receive-pack.js';

/** The transport's part of a push's event: its action, the pusher, and details such as the transport. */
export interface PushEventBase {
  action: string;
  userId: string | null;
  details?: JsonObject;
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

export function pushEvent(base: PushEventBase, repo: Repository, result: PushResult): EventInput {
  return {
    action: base.action,
    userId: base.userId,
    resource: repo.name,
    repositoryId: repo.id,
    details: { ...base.details, ...pushDetails(result) },
  };
}
