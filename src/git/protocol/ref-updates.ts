/**
 * Applying a push's accepted ref updates with the store's compare-and-swap
 * against the old values the client sent. Atomic: one write, all or none.
 * Otherwise also one write, whatever the count; if a concurrent push moved
 * some refs first, those (and only those) fail and the rest go again in one
 * write. A conflict no moved ref explains is isolated ref by ref. Each write
 * carries the commit-index rows of what it makes reachable, and a write that
 * ends the push (one that applies every ref still pending) carries the push's
 * audit event, built as that write would leave the commands. Ref by ref,
 * that is the last ref's write; when it fails, after earlier refs moved, the
 * event is left to the caller (a crash then can still lose it).
 */
import { ConflictError } from '../../datastore/errors.js';
import type { DataStore } from '../../datastore/store.js';
import type { EventInput } from '../../datastore/inputs.js';
import type { RefUpdate, Repository } from '../../datastore/types.js';
import { updateRefsIndexed } from '../query/indexed-refs.js';
import type { Command } from './push-request.js';

const LOCK_MESSAGE = 'failed to lock: the ref was updated by another push; fetch and try again';
/** Rounds of "write, find the refs that moved" before going ref by ref. */
const ROUNDS = 3;

/** Resolves to whether `event` was recorded with the refs (false when no write ended the push, or there was no event). */
export async function applyUpdates(store: DataStore, repo: Repository, commands: Command[], atomic: boolean, zero: string, event?: () => EventInput): Promise<boolean> {
  const update = (c: Command): RefUpdate => ({ name: c.ref, old: c.old === zero ? null : c.old, new: c.new === zero ? null : c.new });
  const fail = (c: Command, err: unknown) => {
    c.error = err instanceof ConflictError ? LOCK_MESSAGE : `failed to update ref: ${(err as Error).message}`;
  };
  let pending = commands.filter((c) => !c.error);
  if (pending.length === 0) return false;
  for (let round = 0; round < (atomic ? 1 : ROUNDS) && pending.length > 0; round++) {
    try {
      await updateRefsIndexed(store, repo.id, pending.map(update), event?.());
      return event !== undefined;
    } catch (err) {
      if (atomic || !(err instanceof ConflictError)) {
        for (const c of pending) fail(c, err);
        return false;
      }
    }
    const current = new Map<string, string>();
    for await (const r of store.listRefs(repo.id)) if (r.type === 'direct') current.set(r.name, r.target);
    const moved = pending.filter((c) => (current.get(c.ref) ?? zero) !== c.old);
    if (moved.length === 0) break;
    for (const c of moved) c.error = LOCK_MESSAGE;
    pending = pending.filter((c) => !c.error);
  }
  let recorded = false;
  for (const [i, c] of pending.entries()) {
    // Every ref before the last is settled by now: the last one's write ends the push.
    const last = i === pending.length - 1;
    try {
      await updateRefsIndexed(store, repo.id, [update(c)], last ? event?.() : undefined);
      recorded = last && event !== undefined;
    } catch (err) {
      fail(c, err);
    }
  }
  return recorded;
}

/** When HEAD points at a branch that does not exist, point it at main, master or the first branch pushed. */
export async function fixHead(store: DataStore, repo: Repository, commands: Command[]): Promise<void> {
  const head = await store.getRef(repo.id, 'HEAD');
  if (head && head.type === 'symbolic' && (await store.getRef(repo.id, head.target))) return;
  if (head && head.type === 'direct') return;
  const branches: string[] = [];
  for await (const r of store.listRefs(repo.id, 'refs/heads/')) branches.push(r.name);
  if (branches.length === 0) return;
  const known = new Set(branches);
  const pushed = commands.filter((c) => !c.error && known.has(c.ref)).map((c) => c.ref);
  const target = ['refs/heads/main', 'refs/heads/master'].find((b) => branches.includes(b)) ?? pushed[0] ?? branches[0];
  try {
    await store.updateRefs(repo.id, [{ name: 'HEAD', old: head ? head.target : null, new: target, symbolic: true }]);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
}
