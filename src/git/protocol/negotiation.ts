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

/** Allowance for clock skew when haves' commit times bound the walks (seconds). */
const SKEW = 24 * 3600;

/**
 * The commits among `haves` we share with the client: reachable from this
 * repository's refs. The walk stops at commits older than the oldest have
 * (less a day for skew), so a have the repository lacks (a commit the client
 * made itself) does not cost a walk of the whole history on every round.
 */
export async function commonCommits(walker: Walker, refs: RepoRefs, haves: readonly string[]): Promise<Set<string>> {
  const commits: string[] = [];
  let oldest = Infinity;
  for (let i = 0; i < haves.length; i += 500) {
    const found = await walker.commits.load(haves.slice(i, i + 500));
    for (const c of found.values()) {
      commits.push(c.id);
      oldest = Math.min(oldest, c.time);
    }
  }
  return commits.length ? walker.reachableCommits([...tipIds(refs)], commits, oldest - SKEW) : new Set();
}

/**
 * git's ok_to_give_up: every want is a commit that reaches a common commit
 * (or a parent of one) without going past the oldest of them. The server then
 * says "ready" and the client stops sending haves: without it a client sends
 * hundreds more, round after round, each walked again.
 */
export async function readyToSend(walker: Walker, wants: readonly string[], common: Iterable<string>): Promise<boolean> {
  const shared = await walker.commits.load(common);
  if (shared.size === 0) return false;
  const targets = new Set<string>();
  let oldest = Infinity;
  for (const c of shared.values()) {
    targets.add(c.id);
    for (const p of c.parents) targets.add(p);
    oldest = Math.min(oldest, c.time);
  }
  for (const want of new Set(wants)) {
    const peeled = await walker.peel(want);
    if (peeled?.type !== 'commit' || !(await reachesAny(walker, peeled.id, targets, oldest))) return false;
  }
  return true;
}

/** Whether `start` reaches one of `targets`, not following commits older than `oldest`. */
async function reachesAny(walker: Walker, start: string, targets: ReadonlySet<string>, oldest: number): Promise<boolean> {
  const seen = new Set([start]);
  for (let level = [start]; level.length > 0; ) {
    if (level.some((id) => targets.has(id))) return true;
    const next: string[] = [];
    for (const c of (await walker.commits.load(level)).values()) {
      if (c.time < oldest) continue;
      for (const p of c.parents) if (!seen.has(p)) (seen.add(p), next.push(p));
    }
    level = next;
  }
  return false;
}
