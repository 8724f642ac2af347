/**
 * Turns what a user types into an object id: a full ref name, a short branch,
 * tag or remote name, HEAD, a full id or a unique abbreviated id (4+ hex).
 */
import type { DataStore } from '../../datastore/store.js';
import { InvalidArgumentError, NotFoundError } from '../../datastore/errors.js';
import { isObjectId } from '../../datastore/hash.js';

const SEARCH = ['', 'refs/', 'refs/tags/', 'refs/heads/', 'refs/remotes/'];

export async function resolveRevision(store: DataStore, repositoryId: string, revision: string): Promise<string> {
  if (typeof revision !== 'string' || revision === '') throw new InvalidArgumentError('revision must be a non-empty string');
  for (const prefix of SEARCH) {
    const name = prefix + revision;
    if (name !== 'HEAD' && !name.startsWith('refs/')) continue;
    let ref;
    try {
      ref = await store.resolveRef(repositoryId, name);
    } catch (err) {
      if (err instanceof InvalidArgumentError) continue;
      throw err;
    }
    if (ref) return ref.target;
  }
  if (isObjectId(revision, store.objectFormat) && (await store.hasObject(revision))) return revision;
  if (/^[0-9a-f]{4,}$/.test(revision)) {
    const page = await store.listObjectsPage({ prefix: revision, limit: 2 });
    if (page.items.length === 1) return page.items[0];
    if (page.items.length > 1) throw new InvalidArgumentError(`abbreviated id ${revision} is ambiguous`);
  }
  throw new NotFoundError(`revision ${JSON.stringify(revision)} is neither a ref of the repository nor an object id in the store`);
}

/** The repository record with this name, or NotFoundError. */
export async function requireRepository(store: DataStore, name: string) {
  const repo = await store.getRepositoryByName(name);
  if (!repo) throw new NotFoundError(`repository ${JSON.stringify(name)} does not exist in the store; import it first (govc repo import)`);
  return repo;
}
