/**
 * Leveled compaction: which tables to merge, and the rules for what a merge
 * may drop. L0 is compacted into L1 once it holds `l0CompactionTrigger`
 * tables; a deeper level once it outgrows its target (each level `levelRatio`
 * times the one above), one table at a time, round-robin through its keys.
 */
import { Kind } from './coding.js';
import type { Cursor, Entry } from './cursor.js';
import { levelTarget, type LsmOptions } from './options.js';
import { NUM_LEVELS, type FileMeta, type Version } from './version.js';

export interface CompactionPlan {
  level: number;
  inputs: FileMeta[];
  /** Overlapping tables of the output level, merged in too. */
  next: FileMeta[];
  /** Where the merged tables go: level + 1, or the level itself when compactAll() rewrites the bottom. */
  output: number;
  /** No deeper level holds these keys: tombstones can be dropped, not only shadowed versions. */
  bottommost: boolean;
}

function span(files: FileMeta[]): [Buffer, Buffer] {
  let lo = files[0]!.smallest;
  let hi = files[0]!.largest;
  for (const f of files) {
    if (Buffer.compare(f.smallest, lo) < 0) lo = f.smallest;
    if (Buffer.compare(f.largest, hi) > 0) hi = f.largest;
  }
  return [lo, hi];
}

/** The level most over its limit (score >= 1), or undefined when none is. */
export function pickCompaction(v: Version, o: LsmOptions, cursors: Map<number, Buffer>): CompactionPlan | undefined {
  let best = -1;
  let bestScore = 1;
  for (let level = 0; level < NUM_LEVELS - 1; level++) {
    const score = level === 0 ? v.levels[0]!.length / o.l0CompactionTrigger : v.levelBytes(level) / levelTarget(o, level);
    if (score >= bestScore) {
      best = level;
      bestScore = score;
    }
  }
  if (best < 0) return undefined;
  let inputs: FileMeta[];
  if (best === 0) {
    inputs = v.levels[0]!.slice();
  } else {
    const files = v.levels[best]!;
    const after = cursors.get(best);
    inputs = [files.find((f) => !after || Buffer.compare(f.smallest, after) > 0) ?? files[0]!];
    cursors.set(best, inputs[0]!.largest);
  }
  const [lo, hi] = span(inputs);
  const next = v.overlapping(best + 1, lo, hi);
  const [alo, ahi] = span([...inputs, ...next]);
  let bottommost = true;
  for (let level = best + 2; level < NUM_LEVELS; level++) if (v.overlapping(level, alo, ahi).length > 0) bottommost = false;
  return { level: best, inputs, next, output: best + 1, bottommost };
}

/**
 * The entries a merge keeps, from a cursor in internal order. A version is
 * dropped when a newer version of its key is visible to every reader (its
 * seq <= the smallest snapshot); a tombstone too, at the bottom level, since
 * nothing older remains for it to hide.
 */
export function* survivors(input: Cursor, smallestSnapshot: number, bottommost: boolean, dropped: (e: Entry) => void): Generator<Entry> {
  let key: Buffer | undefined;
  let newerSeq = Infinity;
  for (let e = input.entry; e; input.next(), e = input.entry) {
    if (!key || !key.equals(e.key)) {
      key = e.key;
      newerSeq = Infinity;
    }
    const shadowed = newerSeq <= smallestSnapshot;
    const deadTombstone = bottommost && e.kind === Kind.Delete && e.seq <= smallestSnapshot;
    newerSeq = e.seq;
    if (shadowed || deadTombstone) {
      dropped(e);
      continue;
    }
    yield e;
  }
}
