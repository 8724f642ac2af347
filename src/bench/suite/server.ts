/**
 * Load tests of `govc serve` with autocannon: REST reads, info/refs, and small
 * clones with real `git clone`s, against the number of connections. The
 * server runs in this process on the store under test (so every store works,
 * rocksdb and memory included) while autocannon's connections and the git
 * processes load it: on a small machine they share the cores, which the
 * report says.
 */
import { loadServerConfig } from '../../server/config.js';
import { startServer } from '../../server/server.js';
import { GROUP_BENCHMARKS } from './names.js';
import type { BenchmarkGroup } from './context.js';
import { withRepositories } from './context.js';
import { generateHistory } from './generate-history.js';
import { cannon, clones } from './load.js';
import type { BenchResult } from './result.js';

/** Commits of the served repository: a small clone. */
const SERVED_COMMITS = 50;
/** More git processes than this at once only measure process start-up on two cores. */
const MAX_PARALLEL_CLONES = 16;

export const serverGroup: BenchmarkGroup = {
  group: 'server',
  names: GROUP_BENCHMARKS.server,
  async run(ctx, wanted) {
    const type = ctx.store.type;
    const rows: BenchResult[] = [];
    return withRepositories(() => ctx.store, async (created) => {
      const name = `${ctx.tag}-served`;
      const h = await generateHistory(ctx.store, name, SERVED_COMMITS);
      created.push(h.repositoryId);
      const config = { ...loadServerConfig({}, ctx.uri, { port: '0' }), maxConnections: 4096 };
      const server = await startServer(config, { store: ctx.store, log: () => undefined });
      try {
        const { connections, loadSeconds } = ctx.sizes;
        if (wanted('http_rest_read')) {
          for (const c of connections) {
            ctx.log(`  http_rest_read x${c}`);
            rows.push(await cannon({ group: 'server', name: 'http_rest_read', store: type, targetMs: 10, note: `GET /api/v1/repositories/<name> (anonymous read), ${loadSeconds} s per run; target: the plan's simple metadata query` }, `${server.url}/api/v1/repositories/${name}`, c, loadSeconds));
          }
        }
        if (wanted('http_info_refs')) {
          for (const c of connections) {
            ctx.log(`  http_info_refs x${c}`);
            rows.push(await cannon({ group: 'server', name: 'http_info_refs', store: type, targetMs: null, note: `GET /<repo>.git/info/refs?service=git-upload-pack (ref advertisement), ${loadSeconds} s per run` }, `${server.url}/${name}.git/info/refs?service=git-upload-pack`, c, loadSeconds));
          }
        }
        if (wanted('http_small_clone')) {
          for (const c of connections.map((n) => Math.min(n, MAX_PARALLEL_CLONES)).filter((n, i, xs) => xs.indexOf(n) === i)) {
            ctx.log(`  http_small_clone x${c}`);
            rows.push(await clones({ group: 'server', name: 'http_small_clone', store: type, targetMs: null, note: `git clone --bare of a ${h.commits}-commit repository of 256 files, ${c} at a time; ops/s = clones per second` }, `${server.url}/${name}.git`, c, Math.max(ctx.sizes.clones, c)));
          }
        }
      } finally {
        await server.close();
      }
      return rows;
    });
  },
};
