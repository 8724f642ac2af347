/**
 * Metadata benchmarks: the plan's simple query (newest events of one
 * repository and action) and its "joins, aggregations": events of one user
 * across repositories, event counts over time ranges, repository statistics
 * and commits of an author in a time range (from the commit index).
 */
import type { DataStore } from '../../datastore/store.js';
import { newEventId } from '../../datastore/ids.js';
import { queryCommits, repositoryStats } from '../../git/query/query-store.js';
import { updateCommitIndex } from '../../git/query/commit-index.js';
import { Timings } from '../timings.js';
import { GROUP_BENCHMARKS } from './names.js';
import type { BenchmarkGroup } from './context.js';
import { withRepositories } from './context.js';
import { AUTHORS, generateHistory } from './generate-history.js';
import { rowFromTimings } from './measure.js';
import type { BenchResult } from './result.js';

const REPOSITORIES = 20;
const USERS = 20;
const ACTIONS = ['push', 'fetch', 'clone', 'settings'];
const DAY_MS = 86_400_000;
/** Timed queries per benchmark (capped so large event counts only grow the data, not the run). */
const QUERIES = 500;
/** Commits of the indexed history the statistics read. */
const INDEXED_COMMITS = 1_000;

class MetadataBenchError extends Error {}

async function logEvents(store: DataStore, repositories: string[], users: string[], events: number, startMs: number, spanMs: number): Promise<void> {
  const CHUNK = 1000;
  for (let start = 0; start < events; start += CHUNK) {
    const end = Math.min(events, start + CHUNK);
    const write = async (target: Pick<DataStore, 'restoreEvent'>) => {
      for (let i = start; i < end; i++) {
        const ms = startMs + Math.floor((i * spanMs) / events);
        await target.restoreEvent({
          id: newEventId(ms),
          timestamp: new Date(ms),
          userId: users[Math.floor(i / 7) % users.length], // a user's events span seven repositories in a row
          action: ACTIONS[i % ACTIONS.length],
          resource: 'refs/heads/main',
          repositoryId: repositories[i % repositories.length],
          details: {},
        });
      }
    };
    if (store.capabilities.transactions) await store.transaction(write);
    else await write(store);
  }
}

const pick = <T>(xs: readonly T[]) => xs[Math.floor(Math.random() * xs.length)];

export const metadataGroup: BenchmarkGroup = {
  group: 'metadata',
  names: GROUP_BENCHMARKS.metadata,
  async run(ctx, wanted) {
    const store = () => ctx.store;
    const type = ctx.store.type;
    const rows: BenchResult[] = [];
    const base = (name: string, targetMs: number, note: string) => ({ group: 'metadata' as const, name, store: type, targetMs, note });
    const queries = Math.min(QUERIES, ctx.sizes.events);
    return withRepositories(store, async (created) => {
      const repositories: string[] = [];
      for (let r = 0; r < REPOSITORIES; r++) {
        const repo = await ctx.store.createRepository({ name: `${ctx.tag}-meta-${r}` });
        created.push(repo.id);
        repositories.push(repo.id);
      }
      const users = Array.from({ length: USERS }, (_, u) => `${ctx.tag}-user-${u}`);
      const spanMs = 365 * DAY_MS;
      const startMs = Date.now() - spanMs;
      await logEvents(ctx.store, repositories, users, ctx.sizes.events, startMs, spanMs);
      const setup = `${ctx.sizes.events.toLocaleString('en-US')} events over ${REPOSITORIES} repositories, ${USERS} users and one year`;

      if (wanted('metadata_query')) {
        const t = new Timings(queries);
        for (let i = 0; i < queries; i++) {
          const repositoryId = pick(repositories);
          const page = await t.time(() => ctx.store.queryEvents({ repositoryId, action: 'push', order: 'desc', limit: 20 }));
          if (page.items.some((e) => e.repositoryId !== repositoryId || e.action !== 'push')) throw new MetadataBenchError('metadata query returned events outside its filter');
        }
        rows.push(rowFromTimings(base('metadata_query', 10, `queryEvents: the 20 newest push events of one repository; ${setup}`), t));
      }
      if (wanted('user_events_across_repos')) {
        const t = new Timings(queries);
        for (let i = 0; i < queries; i++) {
          const userId = pick(users);
          const page = await t.time(() => ctx.store.queryEvents({ userId, order: 'desc', limit: 100 }));
          if (page.items.some((e) => e.userId !== userId)) throw new MetadataBenchError('events of a user returned another user\'s events');
          if (ctx.sizes.events >= USERS * REPOSITORIES && new Set(page.items.map((e) => e.repositoryId)).size < 2) throw new MetadataBenchError('events of a user came from one repository only');
        }
        rows.push(rowFromTimings(base('user_events_across_repos', 100, `queryEvents by user: the 100 newest events of one user, across all repositories; ${setup}`), t));
      }
      if (wanted('event_counts_time_range')) {
        const t = new Timings(queries);
        for (let i = 0; i < queries; i++) {
          const since = new Date(startMs + Math.floor(Math.random() * (spanMs - 30 * DAY_MS)));
          const until = new Date(since.getTime() + 30 * DAY_MS);
          const repositoryId = i % 2 === 0 ? pick(repositories) : undefined;
          const n = await t.time(() => ctx.store.countEvents({ repositoryId, since, until }));
          if (!Number.isInteger(n) || n < 0 || n > ctx.sizes.events) throw new MetadataBenchError(`count of a 30-day range was ${n}`);
        }
        rows.push(rowFromTimings(base('event_counts_time_range', 100, `countEvents over a random 30-day range, half of them also by repository; ${setup}`), t));
      }
      if (wanted('repository_stats') || wanted('commits_by_author_range')) {
        const commits = Math.min(INDEXED_COMMITS, ctx.sizes.commits);
        const history = await generateHistory(ctx.store, `${ctx.tag}-indexed`, commits);
        created.push(history.repositoryId);
        await updateCommitIndex(ctx.store, history.repositoryId);
        const n = Math.min(queries, 100);
        if (wanted('repository_stats')) {
          const t = new Timings(n);
          for (let i = 0; i < n; i++) {
            const s = await t.time(() => repositoryStats(ctx.store, history.repositoryId));
            if (s.commits !== history.commits || s.contributors !== Math.min(AUTHORS.length, history.commits)) throw new MetadataBenchError(`statistics say ${s.commits} commits, ${s.contributors} contributors; the history has ${history.commits}`);
          }
          rows.push(rowFromTimings(base('repository_stats', 100, `repositoryStats (commits, branches, tags, contributors) of an indexed ${history.commits}-commit history`), t));
        }
        if (wanted('commits_by_author_range')) {
          const t = new Timings(n);
          const span = history.lastTime - history.firstTime;
          for (let i = 0; i < n; i++) {
            const author = pick(AUTHORS).email;
            const since = new Date((history.firstTime + Math.floor(Math.random() * span * 0.7)) * 1000);
            const until = new Date(since.getTime() + span * 300);
            const found = await t.time(() => queryCommits(ctx.store, history.repositoryId, { author, since, until, limit: 100 }));
            if (found.some((c) => c.author.email !== author)) throw new MetadataBenchError('commits by author returned another author\'s commits');
          }
          rows.push(rowFromTimings(base('commits_by_author_range', 100, `queryCommits: one author's commits in 30 % of the time span (commit index), ${history.commits}-commit history`), t));
        }
      }
      return rows;
    });
  },
};
