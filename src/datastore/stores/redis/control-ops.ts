/** Turns the non-object WriteOps into the APPLY script's JSON, and its error replies into store errors. */
import type { WriteOp } from '../../driver.js';
import { ConflictError, DataStoreError, NotFoundError } from '../../errors.js';
import { encodeEvent, encodeRefTarget, encodeRepository, encodeUser, eventMember } from './codec.js';

export type ControlOp = Exclude<WriteOp, { op: 'putObject' } | { op: 'deleteObject' }>;

export function isControlOp(op: WriteOp): op is ControlOp {
  return op.op !== 'putObject' && op.op !== 'deleteObject';
}

export function encodeControlOp(op: ControlOp): Record<string, unknown> {
  switch (op.op) {
    case 'updateRefs':
      return {
        op: op.op,
        repo: op.repositoryId,
        updates: op.updates.map((u) => ({
          name: u.name,
          check: u.old !== undefined,
          old: u.old ?? null,
          new: u.new === null ? null : encodeRefTarget(u.new, u.symbolic === true),
        })),
      };
    case 'putRepository': {
      const r = op.repository;
      return { op: op.op, mode: op.mode, id: r.id, name: r.name, visibility: r.visibility, ownerId: r.ownerId, json: encodeRepository(r) };
    }
    case 'deleteRepository':
    case 'deleteUser':
      return { op: op.op, id: op.id };
    case 'putUser': {
      const u = op.user;
      return { op: op.op, mode: op.mode, id: u.id, username: u.username, email: u.email, isAdmin: u.isAdmin, json: encodeUser(u) };
    }
    case 'appendEvent': {
      const e = op.event;
      return {
        op: op.op,
        id: e.id,
        member: eventMember(e.timestamp.getTime(), e.id),
        userId: e.userId,
        action: e.action,
        resource: e.resource,
        repositoryId: e.repositoryId,
        json: encodeEvent(e),
      };
    }
    case 'setConfig':
      return { op: op.op, key: op.key, value: op.value };
  }
}

interface ScriptError {
  code: string;
  kind: string;
  [key: string]: unknown;
}

/** The same messages the memory store and planRefUpdates give. */
export function scriptError(json: string): DataStoreError {
  const e = JSON.parse(json) as ScriptError;
  const s = (v: unknown) => (typeof v === 'string' ? v : null);
  switch (e.kind) {
    case 'ref': {
      const actual = s(e.actual);
      const expected = s(e.expected);
      return new ConflictError(
        `ref ${e.ref} in repository ${e.repo} is ${actual ?? 'absent'}, expected ${expected ?? 'absent'}; re-read it and retry`,
        { repositoryId: e.repo, ref: e.ref, expected, actual },
      );
    }
    case 'repo':
      return new NotFoundError(`repository ${e.id} does not exist; create it before writing refs`, { id: e.id });
    case 'repo-missing':
      return new NotFoundError(`repository ${e.id} does not exist`, { id: e.id });
    case 'repo-exists':
      return new ConflictError(`repository ${e.id} already exists`, { id: e.id });
    case 'repo-name':
      return new ConflictError(`a repository named ${e.name} already exists`, { name: e.name });
    case 'event-exists':
      return new ConflictError(`audit event ${e.id} already exists`, { id: e.id });
    case 'user':
      return new NotFoundError(`user ${e.id} does not exist`, { id: e.id });
    case 'user-exists':
      return new ConflictError(`user ${e.id} already exists`, { id: e.id });
    case 'username':
      return new ConflictError(`username ${e.username} is taken`, { username: e.username });
    case 'email':
      return new ConflictError(`email ${e.email} is taken`, { email: e.email });
    default:
      return new DataStoreError('INTERNAL', `redis write script failed: ${json}`);
  }
}
