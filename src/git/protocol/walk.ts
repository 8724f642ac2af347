/**
 * Reachability walks over a store's objects: what a fetch must send (reachable
 * from the wants, not from what the client has), whether an object is
 * reachable from a repository's refs, and fast-forward checks. Objects are
 * global in a store, so these walks are what keep one repository's objects
 * from being served through another.
 */
import { IntegrityError } from '../../datastore/errors.js';
import type { ObjectType } from '../../datastore/types.js';
import { asBuffer } from '../objects/text.js';
import { isAncestor } from '../history/ancestry.js';
import { CommitQueue } from '../history/commit-queue.js';
import { ObjectReader, type WalkSource } from '../store/object-reader.js';
import { peelTags, type Peeled } from '../store/peel.js';
import { TreeScanner } from './tree-scanner.js';
import { sends, type ObjectFilter } from './filter.js';
import { BATCH, CommitCache, type CommitInfo } from './object-cache.js';
import { ID_BYTES } from '../../datastore/hash.js';
import type { ObjectReadOptions } from '../../datastore/types.js';
import type { EntryStash } from '../transfer/entry-stash.js';
import { SendList } from '../transfer/send-list.js';
import { IdSet, type IdMembership, type SeenIds } from '../../datastore/id-set.js';

/** Extra commits walked after only uninteresting ones remain, against clock skew (git's SLOP). */
const SLOP = 5;

export interface ObjectToSend {
  id: string;
  /** Known for commits, trees and tags; blobs are listed without reading them. */
  type: ObjectType;
  /** For trees and blobs, the entry name they were reached by ('' for root trees), latin1: the pack writer's delta hint. */
  name?: string;
}

/** A commit's parents as a walk sees them (none for a shallow commit). */
type ParentsOf = (c: CommitInfo) => string[];

export interface SendListOptions {
  /** Commits whose parents the walk does not follow (a shallow client's and the new boundary). */
  shallow?: ReadonlySet<string>;
  filter?: ObjectFilter;
  /** Keeps the stored entries of the commits and trees the walk reads, for the pack writer. */
  stash?: EntryStash;
}

export class Walker {
  readonly commits: CommitCache;
  /** Commits a range walk has queued, to propagate "uninteresting" to their parents. */
  private readonly commitsSeen = new Map<string, CommitInfo>();

  /** After objectsToSend: what the client has (its haves and the trees and blobs under their edge), for thin packs, and what is sent. */
  clientHas: IdMembership = new Set<string>();

  constructor(readonly store: WalkSource) {
    this.commits = new CommitCache(store);
  }

  /** Peels tags: returns the tag ids met and the final non-tag object with its type. */
  peel(id: string): Promise<Peeled | undefined> {
    return peelTags(this.store, id);
  }

  /**
   * Every object to send for `wants` when the client has `haves`: commits by
   * recency, then tags, trees and blobs. Objects reachable from the haves'
   * edge are left out (the client has them); so is what `filter` leaves out
   * (never a want itself), and history behind `shallow` commits, whose
   * parents the walk does not follow.
   */
  async objectsToSend(wants: readonly string[], haves: readonly string[], options: SendListOptions = {}): Promise<SendList> {
    const stash = options.stash;
    this.commits.reads = stash ? { onEntry: (e) => stash.add(e) } : undefined;
    try {
      return await this.listToSend(wants, haves, options);
    } finally {
      this.commits.reads = undefined;
    }
  }

  private async listToSend(wants: readonly string[], haves: readonly string[], options: SendListOptions): Promise<SendList> {
    const { filter } = options;
    const parentsOf = options.shallow?.size ? (c: CommitInfo) => (options.shallow!.has(c.id) ? [] : c.parents) : undefined;
    const provided = new Set(wants);
    const out = new SendList();
    // Keyed by id: a tag and a branch often peel to the same commit.
    const wantCommits = new Map<string, CommitInfo>();
    const rootTrees: string[] = [];
    const blobs: string[] = [];
    const tagIds: string[] = [];
    for (const want of provided) {
      const peeled = await this.peel(want);
      if (!peeled) throw new IntegrityError(`object ${want} is missing from the store`);
      tagIds.push(...peeled.tags);
      if (peeled.type === 'commit') wantCommits.set(peeled.id, (await this.commits.get(peeled.id))!);
      else if (peeled.type === 'tree') rootTrees.push(peeled.id);
      else blobs.push(peeled.id);
    }
    const haveCommits = [...(await this.commits.load(new Set(haves))).values()];
    const { commits, edges } = await this.commitRange([...wantCommits.values()], haveCommits, parentsOf);
    // Newest first across all wants (a breadth-first walk from several tags interleaves distant
    // history): successive versions of a tree then come one after another, as delta bases need.
    commits.sort((a, b) => b.time - a.time);

    const excluded = new IdSet();
    for (const id of haves) excluded.add(id);
    await this.walkTrees(
      edges.map((c) => c.tree),
      excluded,
      () => undefined,
    );
    for (const c of commits) if (sends(filter, 'commit') || provided.has(c.id)) out.push(c.id, 'commit');
    // From here only the commits' trees are walked: the commits read (a clone's whole history) are let go.
    const commitTrees = commits.map((c) => c.tree);
    commits.length = 0;
    this.commits.clear();
    this.commitsSeen.clear();
    for (const id of new Set(tagIds)) if (!excluded.has(id) && (sends(filter, 'tag') || provided.has(id))) out.push(id, 'tag');
    const sized: ObjectToSend[] = [];
    const visit = (id: string, type: 'tree' | 'blob', name: string, depth: number) => {
      if (!provided.has(id) && !sends(filter, type, depth)) return;
      if (type === 'blob' && !provided.has(id) && filter && filter.blobLimit !== Infinity) sized.push({ id, type, name });
      else out.push(id, type, name);
    };
    // Only the trees sent are kept for the writer (not the edge's, walked above, which the client has).
    const reads = options.stash ? this.commits.reads : undefined;
    for (const tree of rootTrees) commitTrees.push(tree);
    await this.walkTrees(commitTrees, excluded, visit, filter?.depth, reads);
    if (sized.length > 0) for (const b of await this.underLimit(sized, filter!.blobLimit)) out.push(b.id, b.type, b.name);
    for (const id of blobs) {
      if (!excluded.has(id)) {
        excluded.add(id);
        out.push(id, 'blob');
      }
    }
    // Holds what is sent too; the pack writer asks it only about objects it does not send.
    this.clientHas = excluded;
    return out;
  }

  /** The blobs smaller than `limit` bytes (blob:limit). */
  private async underLimit(blobs: ObjectToSend[], limit: number): Promise<ObjectToSend[]> {
    const out: ObjectToSend[] = [];
    for (let i = 0; i < blobs.length; i += BATCH) {
      const slice = blobs.slice(i, i + BATCH);
      const sizes = await Promise.all(slice.map((b) => this.store.statObject(b.id)));
      slice.forEach((b, k) => (sizes[k]?.size ?? Infinity) < limit && out.push(b));
    }
    return out;
  }

  /**
   * Commits reachable from `wants` but not from `haves`, newest first, and the
   * edge: uninteresting commits next to them (whose trees the client has).
   */
  private async commitRange(wants: CommitInfo[], haves: CommitInfo[], parentsOf: ParentsOf = (c) => c.parents): Promise<{ commits: CommitInfo[]; edges: CommitInfo[] }> {
    if (haves.length === 0) return { commits: await this.allCommits(wants, undefined, parentsOf), edges: [] };
    const SEEN = 1;
    const UNINTERESTING = 2;
    const flags = new Map<string, number>();
    const queue = new CommitQueue<CommitInfo>();
    // What the queue holds, to tell when only uninteresting commits are left.
    const queued = new Set<string>();
    const result: CommitInfo[] = [];

    const markUninteresting = (start: string) => {
      const stack = [start];
      while (stack.length) {
        const id = stack.pop()!;
        const f = flags.get(id) ?? 0;
        if (f & UNINTERESTING) continue;
        flags.set(id, f | UNINTERESTING);
        const info = f & SEEN ? this.commitsSeen.get(id) : undefined;
        if (info) stack.push(...parentsOf(info).filter((p) => flags.has(p)));
      }
    };
    const push = (c: CommitInfo, uninteresting: boolean) => {
      this.commitsSeen.set(c.id, c);
      const f = flags.get(c.id);
      if (f !== undefined) {
        if (uninteresting) markUninteresting(c.id);
        return;
      }
      flags.set(c.id, SEEN | (uninteresting ? UNINTERESTING : 0));
      queue.push(c.time, c);
      queued.add(c.id);
    };
    for (const c of haves) push(c, true);
    for (const c of wants) push(c, false);

    let slop = SLOP;
    while (queue.size > 0) {
      let allUninteresting = true;
      for (const id of queued) if ((flags.get(id)! & UNINTERESTING) === 0) (allUninteresting = false);
      if (allUninteresting) {
        if (--slop <= 0) break;
      } else slop = SLOP;
      const c = queue.pop()!;
      queued.delete(c.id);
      const uninteresting = (flags.get(c.id)! & UNINTERESTING) !== 0;
      if (!uninteresting) result.push(c);
      const parentIds = parentsOf(c);
      const parents = await this.commits.load(parentIds);
      for (const p of parentIds) {
        const info = parents.get(p);
        if (info) push(info, (flags.get(c.id)! & UNINTERESTING) !== 0);
        else if (!uninteresting) throw new IntegrityError(`commit ${p}, a parent of ${c.id}, is missing from the store`);
      }
    }
    const commits = result.filter((c) => (flags.get(c.id)! & UNINTERESTING) === 0);
    // The edge is what the sent commits build on (git's edges): not every have, whose trees would all be walked.
    const edgeIds = new Set<string>();
    for (const c of commits) for (const p of parentsOf(c)) if ((flags.get(p) ?? 0) & UNINTERESTING) edgeIds.add(p);
    const edges = [...(await this.commits.load(edgeIds)).values()];
    return { commits, edges };
  }

  /** Every commit reachable from `starts`, breadth first, reading a level at a time. */
  async allCommits(starts: CommitInfo[], stopAt?: (found: CommitInfo) => boolean, parentsOf: ParentsOf = (c) => c.parents): Promise<CommitInfo[]> {
    const seen = new Set(starts.map((c) => c.id));
    const out: CommitInfo[] = [...starts];
    let level = starts;
    for (const c of starts) if (stopAt?.(c)) return out;
    while (level.length > 0) {
      const next: string[] = [];
      for (const c of level) for (const p of parentsOf(c)) if (!seen.has(p)) (seen.add(p), next.push(p));
      const loaded = await this.commits.load(next);
      level = [];
      for (const id of next) {
        const info = loaded.get(id);
        if (!info) throw new IntegrityError(`commit ${id} is missing from the store`);
        out.push(info);
        level.push(info);
        if (stopAt?.(info)) return out;
      }
    }
    return out;
  }

  /**
   * Visits every tree and blob under `roots` not already in `seen` (which it
   * fills), a level at a time, each with the entry name it was first reached
   * by ('' for roots: a delta hint) and its depth (0 for roots; a level at a
   * time, so the least one). Entries at `maxDepth` or deeper are not visited.
   * Gitlinks (submodule commits) are not followed. `reads`: how the trees
   * are read (a walk that keeps their entries for the pack writer).
   */
  async walkTrees(
    roots: string[],
    seen: SeenIds,
    visit: (id: string, type: 'tree' | 'blob', name: string, depth: number) => void,
    maxDepth = Infinity,
    reads?: ObjectReadOptions,
  ): Promise<void> {
    const scanner = new TreeScanner(ID_BYTES[this.store.objectFormat]);
    let level: Array<{ id: string; name: string }> = [];
    for (const id of roots) if (seen.add(id)) level.push({ id, name: '' });
    for (let depth = 0; level.length > 0; depth++) {
      if (depth + 1 >= maxDepth) {
        // Their entries are too deep to send: the trees are visited, not read.
        for (const { id, name } of level) visit(id, 'tree', name, depth);
        break;
      }
      const next: Array<{ id: string; name: string }> = [];
      for (let i = 0; i < level.length; i += BATCH) {
        const slice = level.slice(i, i + BATCH);
        const found = await this.store.getObjects(slice.map((t) => t.id), reads);
        for (const { id, name } of slice) {
          const obj = found.get(id);
          if (!obj || obj.type !== 'tree') throw new IntegrityError(`tree ${id} is missing from the store`);
          visit(id, 'tree', name, depth);
          const buf = asBuffer(obj.data);
          scanner.scan(buf, name, (e) => {
            if (e.kind === 'gitlink' || !seen.add(e.id)) return;
            const entryName = buf.toString('latin1', e.nameStart, e.nameEnd);
            if (e.kind === 'tree') next.push({ id: e.id, name: entryName });
            else visit(e.id, 'blob', entryName, depth + 1);
          });
        }
      }
      // Versions of one directory side by side (stable: newest first within a name): their delta chains share bases,
      // so the store's cache of built objects serves them, and the scanner compares each with the version before.
      level = next.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    }
  }

  /** Peels the tips, taking every id met off `left`; returns the commits and root trees to walk from. */
  private async tipStarts(tips: readonly string[], left: Set<string>): Promise<{ commits: CommitInfo[]; trees: string[] }> {
    const commits: CommitInfo[] = [];
    const trees: string[] = [];
    for (const tip of new Set(tips)) {
      left.delete(tip);
      const peeled = await this.peel(tip);
      if (!peeled) continue;
      for (const t of peeled.tags) left.delete(t);
      left.delete(peeled.id);
      if (peeled.type === 'commit') commits.push((await this.commits.get(peeled.id))!);
      else if (peeled.type === 'tree') trees.push(peeled.id);
    }
    return { commits, trees };
  }

  /**
   * The ids in `targets` that are NOT reachable from `tips`; empty when all
   * are. Cheap cases first: the tips, their trees (what a push usually leaves
   * out of its pack), then every commit, then every commit's tree. Tips are
   * searched in the order given.
   */
  async unreachable(tips: readonly string[], targets: Iterable<string>): Promise<Set<string>> {
    const left = new Set(targets);
    if (left.size === 0) return left;
    const starts = await this.tipStarts(tips, left);
    const seen = new IdSet();
    // Roots in growing batches (1, 2, 4 ... 64): the first tips, the ones a caller puts first, often hold everything.
    const sweep = async (roots: string[]) => {
      for (let i = 0, n = 1; i < roots.length && left.size > 0; i += n, n = Math.min(64, n * 2)) {
        await this.walkTrees(roots.slice(i, i + n), seen, (id) => left.delete(id));
      }
    };
    if (left.size === 0) return left;
    await sweep([...starts.trees, ...starts.commits.map((c) => c.tree)]);
    if (left.size === 0) return left;
    // allCommits stops early only when every target was found among the commits.
    const all = await this.allCommits(starts.commits, (c) => left.delete(c.id) && left.size === 0);
    await sweep(all.map((c) => c.tree));
    return left;
  }

  /**
   * The commits among `targets` reachable from `tips`: a walk of commits only,
   * no trees. With `notBefore` (seconds), commits older than it are not
   * followed, so a target the repository lacks does not cost a walk of all
   * history; a skewed clock can then miss a reachable target, never add one.
   */
  async reachableCommits(tips: readonly string[], targets: Iterable<string>, notBefore = -Infinity): Promise<Set<string>> {
    const wanted = new Set(targets);
    const left = new Set(wanted);
    const starts = await this.tipStarts(tips, left);
    const parentsOf: ParentsOf = (c) => (c.time < notBefore ? [] : c.parents);
    if (left.size > 0 && starts.commits.length > 0) await this.allCommits(starts.commits, (c) => left.delete(c.id) && left.size === 0, parentsOf);
    for (const id of left) wanted.delete(id);
    return wanted;
  }

  /**
   * Whether updating a ref from `from` to `to` is a fast-forward: both are
   * commits and `from` is an ancestor of `to` (git's rule; tags never are).
   */
  async isFastForward(from: string, to: string): Promise<boolean> {
    const [a, b] = await Promise.all([this.store.statObject(from), this.store.statObject(to)]);
    if (a?.type !== 'commit' || b?.type !== 'commit') return false;
    return isAncestor(new ObjectReader(this.store), from, to);
  }
}
