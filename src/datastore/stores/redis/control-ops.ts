/** Turns the non-object WriteOps into the APPLY script's JSON, and its error replies into store errors. */
import type { WriteOp } from '../../driver.js';
import { recordError, type RecordConflict } from '../../conflicts.js';
import { ConflictError, DataStoreError } from '../../errors.js';
import { prefixUpperBound } from '../../prefix-bound.js';
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
      return {
        op: op.op,
        mode: op.mode,
        ifVersion: op.ifVersion ?? null,
        id: r.id,
        name: r.name,
        visibility: r.visibility,
        ownerId: r.ownerId,
        json: encodeRepository(r),
      };
    }
    case 'deleteRepository':
    case 'deleteUser':
      return { op: op.op, id: op.id };
    case 'putUser': {
      const u = op.user;
      return {
        op: op.op,
        mode: op.mode,
        ifVersion: op.ifVersion ?? null,
        id: u.id,
        username: u.username,
        email: u.email,
        isAdmin: u.isAdmin,
        json: encodeUser(u),
      };
    }
    case 'appendEvent': {
      const e = op.event;
      return {
        op: op.op,
        id: e.id,
        member: eventMember(e.timestamp.getTime(), e.id),
        at: e.timestamp.getTime(),
        userId: e.userId,
        action: e.action,
        resource: e.resource,
        repositoryId: e.repositoryId,
        json: encodeEvent(e),
      };
    }
    case 'setConfig':
      return { op: op.op, key: op.key, value: op.value };
    case 'deleteConfigPrefix': {
      // ZRANGEBYLEX bounds: code point order is UTF-8 byte order, Redis's member order.
      const upper = prefixUpperBound(op.prefix);
      return { op: op.op, lo: `[${op.prefix}`, hi: upper === undefined ? '+' : `(${upper}` };
    }
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
      return recordError({ kind: 'refs-repo-missing', id: String(e.id) });
    case 'user':
      return recordError({ kind: 'user-missing', id: String(e.id) });
    case 'stale-version':
      return recordError({
        kind: 'stale-version',
        record: e.record === 'user' ? 'user' : 'repository',
        id: String(e.id),
        expected: Number(e.expected),
        actual: Number(e.actual),
      });
    case 'repo-missing':
    case 'repo-exists':
    case 'repo-name':
    case 'event-exists':
    case 'user-exists':
    case 'username':
    case 'email':
      return recordError(e as unknown as RecordConflict);
    default:
      return new DataStoreError('INTERNAL', `redis write script failed: ${json}`);
  }
}
