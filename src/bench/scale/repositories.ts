/** 1,000 repositories in one store: create them (with a branch and an event each), find by name, list all, move refs, delete. */
import type { DataStore } from '../../datastore/store.js';
import { Timings } from '../timings.js';
import { generateHistory } from '../suite/generate-history.js';
import { rowFromTimings } from '../suite/measure.js';
import type { BenchResult } from '../suite/result.js';

const GOAL = '1,000+ repositories';
const LOOKUPS = 2_000;

export async function scaleRepositories(store: DataStore, repositories: number, tag: string, log: (line: string) => void): Promise<BenchResult[]> {
  const type = store.type;
  const base = (name: string, targetMs: number | null, note: string) => ({ group: 'scale' as const, name, store: type, targetMs, note, goal: GOAL });
  const seed = await generateHistory(store, `${tag}-seed`, 10);
  const ids: string[] = [];
  const names: string[] = [];
  const rows: BenchResult[] = [];
  try {
    const create = new Timings(repositories);
    for (let i = 0; i < repositories; i++) {
      const name = `${tag}-r${i}`;
      const repo = await create.time(async () => {
        const r = await store.createRepository({ name });
        await store.updateRefs(r.id, [{ name: 'refs/heads/main', old: null, new: seed.head }]);
        await store.logEvent({ action: 'push', repositoryId: r.id, resource: 'refs/heads/main' });
        return r;
      });
      ids.push(repo.id);
      names.push(name);
      if (i % 250 === 249) log(`  ${i + 1} repositories`);
    }
    rows.push(rowFromTimings(base('scale_repos_create', 50, `createRepository + a branch + an audit event, ${repositories} times (target: the plan's transaction)`), create));

    const lookup = new Timings(LOOKUPS);
    for (let i = 0; i < LOOKUPS; i++) {
      const k = Math.floor(Math.random() * names.length);
      const r = await lookup.time(() => store.getRepositoryByName(names[k]));
      if (r?.id !== ids[k]) throw new Error(`getRepositoryByName(${names[k]}) found ${r?.id}`);
    }
    const lookupRow = rowFromTimings(base('scale_repos_get_by_name', 10, `getRepositoryByName among ${repositories} (and whatever else the store holds)`), lookup);
    rows.push({ ...lookupRow, holds: lookupRow.p99Ms !== null && lookupRow.p99Ms < 10 });

    const list = new Timings(3);
    let listed = 0;
    for (let i = 0; i < 3; i++) {
      listed = 0;
      await list.time(async () => {
        let cursor: string | undefined;
        do {
          const page = await store.listRepositories({ limit: 100, cursor });
          listed += page.items.filter((r) => r.name.startsWith(`${tag}-r`)).length;
          cursor = page.nextCursor;
        } while (cursor);
      });
    }
    const listRow = rowFromTimings(base('scale_repos_list_all', 100, `listRepositories, every page of 100; found ${listed} of the ${repositories}`), list);
    rows.push({ ...listRow, holds: listed === repositories && listRow.p99Ms !== null && listRow.p99Ms < 100 });
  } finally {
    const del = new Timings(ids.length);
    for (const id of ids) await del.time(() => store.deleteRepository(id)).catch(() => undefined);
    await store.deleteRepository(seed.repositoryId).catch(() => undefined);
    if (del.count) rows.push(rowFromTimings(base('scale_repos_delete', 50, `deleteRepository (with its refs), ${del.count} times`), del));
  }
  return rows;
}
