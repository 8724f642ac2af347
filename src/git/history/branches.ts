/** Branch operations on a repository's refs: list, create, delete, fast-forward check. */
import { ConflictError, InvalidArgumentError, NotFoundError } from '../../datastore/errors.js';
import type { DataStore } from '../../datastore/store.js';
import { checkRefName } from '../../datastore/validate.js';
import { updateRefsIndexed } from '../query/indexed-refs.js';
import { ObjectReader } from '../store/object-reader.js';
import { resolveRevision } from '../store/revision.js';
import { isAncestor } from './ancestry.js';

const HEADS = 'refs/heads/';

export interface Branch {
  /** Short name, e.g. `main`. */
  name: string;
  ref: string;
  id: string;
}

export function branchRef(name: string): string {
  const ref = name.startsWith(HEADS) ? name : HEADS + name;
  checkRefName(ref);
  if (ref === HEADS + 'HEAD') throw new InvalidArgumentError('HEAD is not a valid branch name');
  return ref;
}

export async function listBranches(store: DataStore, repositoryId: string): Promise<Branch[]> {
  const out: Branch[] = [];
  for await (const ref of store.listRefs(repositoryId, HEADS)) {
    const target = ref.type === 'direct' ? ref.target : (await store.resolveRef(repositoryId, ref.name))?.target;
    if (target) out.push({ name: ref.name.slice(HEADS.length), ref: ref.name, id: target });
  }
  return out;
}

/**
 * Creates a branch at a revision (peeled to a commit). An existing branch is
 * a ConflictError unless `force`; then it moves (compare-and-swap on its old value).
 */
export async function createBranch(
  store: DataStore,
  repositoryId: string,
  name: string,
  revision: string,
  options: { force?: boolean } = {},
): Promise<Branch> {
  const ref = branchRef(name);
  const id = await new ObjectReader(store).peelToCommit(await resolveRevision(store, repositoryId, revision));
  const existing = await store.getRef(repositoryId, ref);
  if (existing && !options.force) throw new ConflictError(`branch ${ref.slice(HEADS.length)} already exists (at ${existing.target}); pass force to move it`);
  await updateRefsIndexed(store, repositoryId, [{ name: ref, old: existing ? existing.target : null, new: id }]);
  return { name: ref.slice(HEADS.length), ref, id };
}

/** Deletes a branch; with `expected`, only if it still points there. Refuses the branch HEAD points at. */
export async function deleteBranch(store: DataStore, repositoryId: string, name: string, options: { expected?: string } = {}): Promise<string> {
  const ref = branchRef(name);
  const existing = await store.getRef(repositoryId, ref);
  if (!existing) throw new NotFoundError(`branch ${ref.slice(HEADS.length)} does not exist`);
  const head = await store.getRef(repositoryId, 'HEAD');
  if (head?.type === 'symbolic' && head.target === ref) throw new ConflictError(`branch ${ref.slice(HEADS.length)} is the repository's HEAD; point HEAD elsewhere first`);
  await store.updateRefs(repositoryId, [{ name: ref, old: options.expected ?? existing.target, new: null }]);
  return existing.target;
}

/** Would moving `from` to `to` be a fast-forward (is `from` an ancestor of `to`)? Revisions are peeled to commits. */
export async function isFastForward(store: DataStore, repositoryId: string, from: string, to: string): Promise<boolean> {
  const reader = new ObjectReader(store);
  const a = await reader.peelToCommit(await resolveRevision(store, repositoryId, from));
  const b = await reader.peelToCommit(await resolveRevision(store, repositoryId, to));
  return isAncestor(reader, a, b);
}
