/**
 * What a fetch may ask for and what it shares with us: wants must be
 * reachable from this repository's refs (objects are global in a store), and
 * only haves reachable from them are acknowledged, so negotiation tells
 * nothing about other repositories.
 */
import { limitMessage, type ProtocolLimits } from './limits.js';
import { ProtocolError } from './errors.js';
import { tipIds, type RepoRefs } from './refs.js';
import type { Walker } from './walk.js';

/** Refuses a request with more wants or haves than the server takes (server.limits). */
export function checkCounts(wants: number, haves: number, limits: ProtocolLimits): void {
  if (wants > limits.maxWants) throw new ProtocolError(limitMessage(`a fetch of ${wants} wants`, 'maxWants', limits));
  if (haves > limits.maxHaves) throw new ProtocolError(limitMessage(`a fetch of ${haves} haves`, 'maxHaves', limits));
}

/** The first want not reachable from the repository's refs, if any. */
async function firstForeignWant(walker: Walker, refs: RepoRefs, wants: readonly string[]): Promise<string | undefined> {
  const tips = tipIds(refs);
  const notTips = wants.filter((w) => !tips.has(w));
  if (notTips.length === 0) return undefined;
  const unreachable = await walker.unreachable([...tips], notTips);
  return unreachable.size > 0 ? [...unreachable][0] : undefined;
}

/** Throws git's "not our ref" when a want is not this repository's. */
export async function checkWants(walker: Walker, refs: RepoRefs, wants: readonly string[]): Promise<void> {
  const foreign = await firstForeignWant(walker, refs, wants);
  if (foreign) throw new ProtocolError(`upload-pack: not our ref ${foreign}`);
}

/** The commits among `haves` we share with the client: reachable from this repository's refs. */
export async function commonCommits(walker: Walker, refs: RepoRefs, haves: readonly string[]): Promise<Set<string>> {
  const commits: string[] = [];
  for (let i = 0; i < haves.length; i += 500) {
    const slice = haves.slice(i, i + 500);
    const found = await walker.store.getObjects(slice);
    for (const id of slice) if (found.get(id)?.type === 'commit') commits.push(id);
  }
  return commits.length ? walker.reachableCommits([...tipIds(refs)], commits) : new Set();
}
