/**
 * Shallow fetches: where the history a client gets stops (`deepen <n>`,
 * `deepen-relative`, `deepen-since`, `deepen-not`) and what it learns about
 * it (`shallow` and `unshallow` lines), computed as git's upload-pack does.
 * The walk that picks the objects then treats every shallow commit, the
 * client's and the new ones, as having no parents; the parents of a commit
 * the client unshallows become wants.
 */
import { ProtocolError } from './errors.js';
import type { CommitInfo } from './object-cache.js';
import type { RepoRefs } from './refs.js';
import type { Walker } from './walk.js';

/** `deepen 2147483647`: what `--unshallow` sends. */
export const INFINITE_DEPTH = 0x7fffffff;

export interface DeepenRequest {
  /** The client's shallow commits (`shallow` lines). */
  clientShallow: string[];
  depth?: number;
  relative: boolean;
  /** `deepen-since`: seconds since the epoch. */
  since?: number;
  /** `deepen-not`: refs whose history is left out. */
  not: string[];
}

export function emptyDeepen(): DeepenRequest {
  return { clientShallow: [], relative: false, not: [] };
}

/** Reads a `shallow`/`deepen*` line into `req`; false when the line is none of them. */
export function readDeepenLine(req: DeepenRequest, line: string, isId: (s: string) => boolean): boolean {
  const space = line.indexOf(' ');
  const key = space < 0 ? line : line.slice(0, space);
  const arg = space < 0 ? '' : line.slice(space + 1);
  if (key === 'shallow') {
    if (!isId(arg)) throw new ProtocolError(`shallow: ${JSON.stringify(arg)} is not an object id`);
    req.clientShallow.push(arg);
  } else if (key === 'deepen') {
    const depth = Number(arg);
    if (!/^\d+$/.test(arg) || depth < 1) throw new ProtocolError(`deepen: ${JSON.stringify(arg)} is not a depth of 1 or more`);
    req.depth = Math.min(depth, INFINITE_DEPTH);
  } else if (key === 'deepen-relative') {
    req.relative = true;
  } else if (key === 'deepen-since') {
    if (!/^\d+$/.test(arg)) throw new ProtocolError(`deepen-since: ${JSON.stringify(arg)} is not a time in seconds`);
    req.since = Number(arg);
  } else if (key === 'deepen-not') {
    if (!arg) throw new ProtocolError('deepen-not needs a ref name');
    req.not.push(arg);
  } else return false;
  return true;
}

/** Whether the client asked to move its shallow boundary (and so reads shallow lines back). */
export function deepens(req: DeepenRequest): boolean {
  return req.depth !== undefined || req.since !== undefined || req.not.length > 0;
}

export interface ShallowInfo {
  /** New shallow commits to tell the client about. */
  shallow: string[];
  unshallow: string[];
  /** Commits the walk treats as having no parents. */
  boundary: Set<string>;
  /** Wants to add: the parents of unshallowed commits. */
  extraWants: string[];
}

export async function shallowInfo(walker: Walker, refs: RepoRefs, wants: readonly string[], req: DeepenRequest): Promise<ShallowInfo> {
  const client = new Set((await walker.commits.load(req.clientShallow)).keys());
  let shallow: CommitInfo[] = [];
  let kept = new Set<string>();
  if (req.depth !== undefined && (req.since !== undefined || req.not.length > 0)) {
    throw new ProtocolError('--depth cannot be combined with --shallow-since or --shallow-exclude');
  }
  if (req.depth === INFINITE_DEPTH && !req.relative) {
    kept = client;
  } else if (req.depth !== undefined) {
    const heads = req.relative ? [...client] : await wantedCommits(walker, wants);
    ({ shallow, kept } = await byDepth(walker, heads, req.relative ? req.depth + 1 : req.depth));
  } else if (deepens(req)) {
    ({ shallow, kept } = await byRevList(walker, refs, await wantedCommits(walker, wants), req));
  }
  const shallowIds = new Set(shallow.map((c) => c.id));
  const unshallow = [...client].filter((id) => kept.has(id) && !shallowIds.has(id));
  const extraWants: string[] = [];
  for (const c of (await walker.commits.load(unshallow)).values()) extraWants.push(...c.parents);
  return {
    shallow: [...shallowIds].filter((id) => !client.has(id)),
    unshallow,
    boundary: new Set([...req.clientShallow, ...shallowIds]),
    extraWants,
  };
}

async function wantedCommits(walker: Walker, wants: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const w of new Set(wants)) {
    const peeled = await walker.peel(w);
    if (peeled?.type === 'commit') out.push(peeled.id);
  }
  return out;
}

/** git's get_shallow_commits: commits within `depth` of the heads; those exactly at it are the new boundary. */
async function byDepth(walker: Walker, heads: string[], depth: number): Promise<{ shallow: CommitInfo[]; kept: Set<string> }> {
  const kept = new Set<string>();
  const shallow: CommitInfo[] = [];
  const seen = new Set(heads);
  let level = [...(await walker.commits.load(heads)).values()];
  for (let d = 1; level.length > 0; d++) {
    if (d >= depth) {
      shallow.push(...level);
      break;
    }
    const next: string[] = [];
    for (const c of level) {
      kept.add(c.id);
      for (const p of c.parents) if (!seen.has(p)) (seen.add(p), next.push(p));
    }
    level = [...(await walker.commits.load(next)).values()];
  }
  return { shallow, kept };
}

/** git's deepen-since / deepen-not: the commits newer than `since` and outside the excluded refs' history. */
async function byRevList(walker: Walker, refs: RepoRefs, heads: string[], req: DeepenRequest): Promise<{ shallow: CommitInfo[]; kept: Set<string> }> {
  const excluded = new Set<string>();
  if (req.not.length > 0) {
    const tips = await wantedCommits(walker, req.not.map((name) => resolveRef(refs, name)));
    for (const c of await walker.allCommits([...(await walker.commits.load(tips)).values()])) excluded.add(c.id);
  }
  const takes = (c: CommitInfo) => !excluded.has(c.id) && (req.since === undefined || c.time >= req.since);
  const kept = new Map<string, CommitInfo>();
  let level = [...(await walker.commits.load(heads)).values()].filter(takes);
  while (level.length > 0) {
    for (const c of level) kept.set(c.id, c);
    const next = new Set<string>();
    for (const c of level) for (const p of c.parents) if (!kept.has(p)) next.add(p);
    level = [...(await walker.commits.load(next)).values()].filter((c) => takes(c) && !kept.has(c.id));
  }
  if (kept.size === 0) throw new ProtocolError('no commits selected for shallow requests');
  const shallow = [...kept.values()].filter((c) => c.parents.some((p) => !kept.has(p)));
  return { shallow, kept: new Set(kept.keys()) };
}

/** A `deepen-not` name as git expands it: exact, then under refs/, refs/tags/, refs/heads/, refs/remotes/. */
function resolveRef(refs: RepoRefs, name: string): string {
  const byName = new Map(refs.refs.map((r) => [r.name, r.id]));
  for (const candidate of [name, `refs/${name}`, `refs/tags/${name}`, `refs/heads/${name}`, `refs/remotes/${name}`, `refs/remotes/${name}/HEAD`]) {
    const id = byName.get(candidate);
    if (id) return id;
  }
  throw new ProtocolError(`deepen-not: ${name} is not a ref of this repository`);
}
