/**
 * Faults: the migrate (and import) CLI SIGKILLed at random points, resumed
 * each time, then verify equal with every event once; a target server
 * (Redis, PostgreSQL of the test's own) stopped mid-way: a clear error, and
 * the same command finishes once it is back; the same kills on the
 * --incremental change-log path (PostgreSQL source changing between runs).
 * GOVC_MIGRATION_FAULTS=full
 * runs the long version (more data, kills spread over more batches).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStore, type DataStore } from '../../src/datastore/index.js';
import { KEYSPACE } from '../../src/datastore/keyspace.js';
import { withStore } from '../support/with-store.js';
import { govc, startGovc, type Result } from './cli.js';
import { startPrivatePostgres, type PrivatePostgres } from './private-postgres.js';
import { populate, TestStores } from './stores.js';
import { history } from '../support/commit-rows.js';

const FULL = process.env.GOVC_MIGRATION_FAULTS === 'full';
const SCALE = FULL ? 150 : 15;
// Small enough that ten kills fit in the batches the short run has, on a fast machine too.
const MAX_BATCHES_BEFORE_KILL = FULL ? 60 : 4;
const KILLS = 10;
// The change-log path: a few kills in CI, ten in the long run.
const LOG_KILLS = FULL ? 10 : 4;

const stores = new TestStores();
after(() => stores.cleanup());

/** Checkpoint writes seen in `target` (each batch writes one), polled. */
async function checkpointState(target: DataStore): Promise<string> {
  const parts: string[] = [];
  for await (const [k, v] of target.listConfig(KEYSPACE.migration)) parts.push(`${k}=${v}`);
  return parts.join('\n');
}

/**
 * Runs govc and SIGKILLs it once it has written `batches` checkpoints
 * (at least one), or lets it finish. Returns how it ended.
 */
async function runAndKill(args: string[], watch: DataStore, batches: number): Promise<Result> {
  const { child, done } = startGovc(args);
  let ended = false;
  void done.then(() => (ended = true));
  let last = await checkpointState(watch);
  let seen = 0;
  while (!ended) {
    await new Promise((r) => setTimeout(r, 5));
    const now = await checkpointState(watch).catch(() => last);
    if (now !== last) {
      seen++;
      last = now;
    }
    if (seen >= batches) {
      child.kill('SIGKILL');
      break;
    }
  }
  return done;
}

describe('migration faults', () => {
  let sourceUri: string;
  let events: number;

  before(async () => {
    sourceUri = await stores.uri('sqlite');
    await withStore(sourceUri, async (s) => {
      await populate(s, SCALE, 'f');
      events = await s.countEvents();
    });
  });

  it(`resumes after ${KILLS} SIGKILLs at random points and ends equal, every event once`, async () => {
    const targetUri = await stores.uri('postgres');
    const watch = await createStore(targetUri);
    try {
      const args = ['datastore', 'migrate', '--source', sourceUri, '--target', targetUri, '--batch-size', '10', '--parallel', '2'];
      let kills = 0;
      for (let i = 0; i < KILLS; i++) {
        const r = await runAndKill(args, watch, 1 + Math.floor(Math.random() * MAX_BATCHES_BEFORE_KILL));
        if (r.signal === 'SIGKILL') kills++;
        else assert.equal(r.status, 0, r.stderr);
        assert.ok((await watch.countEvents()) <= events, 'no event copied twice');
      }
      assert.ok(kills >= KILLS - 2, `most runs were killed mid-way (${kills} of ${KILLS})`);
      const last = await govc(...args, '--verify', '--json');
      assert.equal(last.status, 0, last.stderr + last.stdout);
      assert.equal(JSON.parse(last.stdout.trim().split('\n').at(-1)!).equal, true);
      assert.equal(await watch.countEvents(), events);
    } finally {
      await watch.close();
    }
  });

  it(`incremental through the change log: resumes after ${LOG_KILLS} SIGKILLs while the source keeps changing, ends equal, every event once`, async () => {
    const logSourceUri = await stores.uri('postgres');
    const targetUri = await stores.uri('sqlite');
    const source = await createStore(logSourceUri);
    const watch = await createStore(targetUri);
    let round = 0;
    /** Changes of several kinds, each its own write (so its own log entry): many small batches to be killed in. */
    const change = async (n: number) => {
      const [repo] = (await source.listRepositories()).items;
      const r = ++round;
      for (let i = 0; i < n; i++) {
        await source.setConfig(`log.fault.${r}.${i}`, `v${i}`);
        if (i % 5 === 0) await source.logEvent({ action: 'push', resource: `log-${r}-${i}` });
        if (i % 7 === 0) await source.putObject({ type: 'blob', data: Buffer.from(`log fault ${r} ${i}\n`) });
      }
      const tip = await source.putObject({ type: 'blob', data: Buffer.from(`tip ${r}\n`) });
      await source.updateRefs(repo.id, [{ name: `refs/heads/r${r}`, new: tip }], { commits: history(3, `log-fault-${r}-`, 1_800_000_000 + r * 1000) });
      if (r > 1) await source.deleteConfig(`log.fault.${r - 1}.0`);
    };
    try {
      await populate(source, 1, 'lf');
      const args = ['datastore', 'migrate', '--incremental', '--source', logSourceUri, '--target', targetUri, '--batch-size', '10'];
      const first = await govc(...args);
      assert.equal(first.status, 0, first.stderr);
      let kills = 0;
      for (let i = 0; i < LOG_KILLS; i++) {
        await change(FULL ? 300 : 60);
        const r = await runAndKill(args, watch, 1 + Math.floor(Math.random() * MAX_BATCHES_BEFORE_KILL));
        if (r.signal === 'SIGKILL') kills++;
        else assert.equal(r.status, 0, r.stderr);
      }
      assert.ok(kills >= LOG_KILLS - 1, `most runs were killed mid-way (${kills} of ${LOG_KILLS})`);
      const last = await govc(...args, '--json');
      assert.equal(last.status, 0, last.stderr);
      assert.ok(JSON.parse(last.stdout.trim().split('\n').at(-1)!).changeLog, 'the last run followed the log');
      const v = await govc('datastore', 'verify', '--source', logSourceUri, '--target', targetUri);
      assert.equal(v.status, 0, v.stdout);
      assert.equal(await watch.countEvents(), await source.countEvents(), 'every event once');
    } finally {
      await Promise.all([source.close(), watch.close()]);
    }
  });

  it('resumes an import killed mid-way, every event once', async () => {
    const archive = stores.file('faults.tar.gz');
    assert.equal((await govc('datastore', 'export', '--source', sourceUri, '--output', archive)).status, 0);
    const targetUri = await stores.uri('postgres');
    const watch = await createStore(targetUri);
    try {
      const args = ['datastore', 'import', '--target', targetUri, '--input', archive, '--batch-size', '20'];
      for (let i = 0; i < 3; i++) await runAndKill(args, watch, 1 + Math.floor(Math.random() * 10));
      const r = await govc(...args);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(await watch.countEvents(), events);
      const v = await govc('datastore', 'verify', '--source', sourceUri, '--target', targetUri);
      assert.equal(v.status, 0, v.stdout);
    } finally {
      await watch.close();
    }
  });

  /** Stops the target's server after a few batches: the command fails saying what and how to go on; once back, it finishes. */
  async function serverStops(targetUri: string, stop: () => Promise<void> | void, start: () => Promise<void> | void, message: RegExp): Promise<void> {
    const args = ['datastore', 'migrate', '--source', sourceUri, '--target', targetUri, '--batch-size', '10'];
    const watch = await createStore(targetUri);
    const { done } = startGovc(args, 90_000);
    try {
      let last = await checkpointState(watch);
      for (let seen = 0; seen < 3; ) {
        await new Promise((r) => setTimeout(r, 5));
        const now = await checkpointState(watch);
        if (now !== last) (seen++, (last = now));
      }
    } finally {
      await watch.close();
    }
    await stop();
    const failed = await done;
    assert.equal(failed.status, 1, `exit status; stderr: ${failed.stderr}`);
    assert.match(failed.stderr, message);
    assert.match(failed.stderr, /run the same command again once the store is back/);
    await start();
    const resumed = await govc(...args, '--json', '--verify');
    assert.equal(resumed.status, 0, resumed.stderr + resumed.stdout);
    const [summary, report] = resumed.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(summary.resumed, true);
    assert.equal(report.equal, true);
    await withStore(targetUri, async (t) => assert.equal(await t.countEvents(), events));
  }

  it('reports a Redis target that goes away mid-way, and resumes once it is back', async () => {
    const redis = await stores.redisServer();
    await serverStops(`${redis.url}?prefix=faults`, () => redis.node.kill(), () => redis.node.restart(), /govc: .*(connect|ECONNREFUSED|closed|Connection)/i);
  });

  let pg: PrivatePostgres | undefined;
  after(() => pg?.destroy());

  it('reports a PostgreSQL target server stopped mid-way, and resumes once it is back', async () => {
    pg = await startPrivatePostgres();
    const server = pg;
    await serverStops(`postgres${server.url.slice('postgres'.length)}?schema=faults`, () => server.stop(), () => server.start(), /govc: .*(terminat|connect|cannot reach|ECONNREFUSED|ECONNRESET|shut ?down)/i);
  });
});
