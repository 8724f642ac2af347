/**
 * Git benchmarks on a generated history (generate-history.ts): a full commit
 * walk in `git log` order, branch create / list / delete, fast-forward
 * checks, and tree diffs of distant commits.
 */
import { createBranch, deleteBranch, isFastForward, listBranches } from '../../git/history/branches.js';
import { diffTrees } from '../../git/history/diff.js';
import { logCommits } from '../../git/history/log.js';
import { ObjectReader } from '../../git/store/object-reader.js';
import { Timings } from '../timings.js';
import { GROUP_BENCHMARKS } from './names.js';
import type { BenchmarkGroup } from './context.js';
import { withRepositories } from './context.js';
import { generateHistory } from './generate-history.js';
import { rowFromTimings } from './measure.js';
import type { BenchResult } from './result.js';

/** The plan sets no targets for the git operations: every row here has targetMs null. */
/** Full walks timed (each one reads every commit). */
const WALKS = 3;
const LISTS = 5;
const DIFFS = 10;
const FF_CHECKS_MAX = 200;
/** A fast-forward check walks at most this far back: branches in real use are near their base. */
const FF_DISTANCE = 100;
/** A "no" answer walks the whole history of the older commit: only checked on histories up to this size (it dominated network stores). */
const NEGATIVE_FF_MAX_COMMITS = 1000;

class HistoryBenchError extends Error {}

export const historyGroup: BenchmarkGroup = {
  group: 'history',
  names: GROUP_BENCHMARKS.history,
  async run(ctx, wanted) {
    const type = ctx.store.type;
    const rows: BenchResult[] = [];
    const base = (name: string, targetMs: number | null, note: string) => ({ group: 'history' as const, name, store: type, targetMs, note });
    const { commits, branches } = ctx.sizes;
    return withRepositories(() => ctx.store, async (created) => {
      const gen = new Timings(1);
      const h = await gen.time(() => generateHistory(ctx.store, `${ctx.tag}-history`, commits, (n) => ctx.log(`  generated ${n} commits`)));
      created.push(h.repositoryId);
      if (wanted('history_generate')) rows.push({ ...rowFromTimings(base('history_generate', null, `writing ${h.commits} commits (4 objects each) in batches of 1000 objects; ops/s = commits per second`), gen), opsPerSec: Math.round((h.commits * 1000) / gen.summary().totalMs) });
      const line = h.mainLine;

      if (wanted('commit_traversal')) {
        const t = new Timings(WALKS);
        for (let i = 0; i < WALKS; i++) {
          let seen = 0;
          await t.time(async () => {
            for await (const _ of logCommits(new ObjectReader(ctx.store), [h.head])) seen++;
          });
          if (seen !== h.commits) throw new HistoryBenchError(`the walk met ${seen} commits; the history has ${h.commits}`);
        }
        const s = t.summary();
        rows.push({ ...rowFromTimings(base('commit_traversal', null, `one op = a full walk of ${h.commits} commits in git log order (fresh reader, nothing cached); ops/s here = commits per second`), t), opsPerSec: Math.round((h.commits * WALKS * 1000) / s.totalMs) });
      }

      const names = Array.from({ length: branches }, (_, i) => `bench/b${i}`);
      const at = (i: number) => line.at(Math.floor((i * 7919) % line.length));
      if (wanted('branch_create') || wanted('branch_list') || wanted('branch_delete')) {
        const t = new Timings(branches);
        for (let i = 0; i < branches; i++) await t.time(() => createBranch(ctx.store, h.repositoryId, names[i], at(i)));
        if (wanted('branch_create')) rows.push(rowFromTimings(base('branch_create', null, `createBranch at a commit (peel, existence check, compare-and-swap); ${branches} branches`), t));
        if (wanted('branch_list')) {
          const l = new Timings(LISTS);
          for (let i = 0; i < LISTS; i++) {
            const listed = await l.time(() => listBranches(ctx.store, h.repositoryId));
            if (listed.length !== branches + 1) throw new HistoryBenchError(`listBranches found ${listed.length}; expected ${branches + 1}`);
          }
          rows.push(rowFromTimings(base('branch_list', null, `listBranches of all ${branches + 1} branches`), l));
        }
      }
      if (wanted('fast_forward_check')) {
        const checks = Math.min(FF_CHECKS_MAX, branches * 2);
        const t = new Timings(checks);
        for (let i = 0; i < checks; i++) {
          const to = FF_DISTANCE + Math.floor(Math.random() * (line.length - FF_DISTANCE));
          const from = to - 1 - Math.floor(Math.random() * Math.min(FF_DISTANCE, to));
          const forward = i % 2 === 0;
          const [a, b] = forward ? [line.at(Math.max(0, from)), line.at(to)] : [line.at(to), line.at(Math.max(0, from))];
          // Backwards (a newer commit onto an older one) walks from b to the root: keep those to short histories.
          if (!forward && line.length > NEGATIVE_FF_MAX_COMMITS) continue;
          const ff = await t.time(() => isFastForward(ctx.store, h.repositoryId, a, b));
          if (ff !== forward) throw new HistoryBenchError(`isFastForward(${a}, ${b}) said ${ff}`);
        }
        rows.push(rowFromTimings(base('fast_forward_check', null, `isFastForward between main-line commits at most ${FF_DISTANCE} apart (yes) ${line.length > NEGATIVE_FF_MAX_COMMITS ? '' : 'and the reverse (no, a walk to the root)'}`.trim()), t));
      }
      if (wanted('tree_diff_distant')) {
        const t = new Timings(DIFFS);
        const reader = new ObjectReader(ctx.store);
        for (let i = 0; i < DIFFS; i++) {
          const [a, b] = await Promise.all([reader.commit(line.at(i)), reader.commit(line.at(line.length - 1 - i))]);
          let changes = 0;
          await t.time(async () => {
            for await (const _ of diffTrees(new ObjectReader(ctx.store), a.tree, b.tree)) changes++;
          });
          if (changes === 0 && line.length > 300) throw new HistoryBenchError('a diff of distant commits found no change');
        }
        rows.push(rowFromTimings(base('tree_diff_distant', null, `diffTrees of root trees ${line.length - 1} commits apart (256 files in 16 directories; fresh reader)`), t));
      }
      if (wanted('branch_delete')) {
        const t = new Timings(branches);
        for (let i = 0; i < branches; i++) await t.time(() => deleteBranch(ctx.store, h.repositoryId, names[i]));
        rows.push(rowFromTimings(base('branch_delete', null, `deleteBranch (HEAD check, compare-and-swap to nothing); ${branches} branches`), t));
      }
      return rows;
    });
  },
};
