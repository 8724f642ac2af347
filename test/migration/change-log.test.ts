/**
 * migrate --incremental through the source's change log, from PostgreSQL
 * and from Redis (real servers) into SQLite: the first run copies in full and
 * registers the target as a follower; changes of every kind made before the
 * second run arrive, and nothing else is copied (counted); a third run copies
 * nothing; what every follower has applied is trimmed from the log, what a
 * slower follower still needs is kept; a follower trimmed past is told to
 * copy in full, and follows anew after that; a short change_log_retention
 * drops a follower that never returns, by the source's own writes. `--follow` is woken by the log (NOTIFY, a blocking XREAD).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { changeLogOf, type ChangeLog } from '../../src/datastore/change-log.js';
import { createStore, type DataStore } from '../../src/datastore/index.js';
import { copyStore, type CopySummary } from '../../src/datastore/migration/copy.js';
import { verifyStores } from '../../src/datastore/migration/verify.js';
import { startGovc } from './cli.js';
import { populate, TestStores } from './stores.js';
import { history } from '../support/commit-rows.js';

const stores = new TestStores();
after(() => stores.cleanup());

const incremental = (source: DataStore, target: DataStore, follower: string) => copyStore(source, target, 'log-source', { incremental: true, follower, batchSize: 4 });

async function assertEqual(source: DataStore, target: DataStore): Promise<void> {
  const report = await verifyStores(source, target);
  assert.deepEqual(report.first, []);
}

/** One change of every kind; returns what a run should then copy and delete. */
async function changeEverything(store: DataStore): Promise<{ copied: CopySummary['copied']; deleted: number }> {
  const [a, b] = (await store.listRepositories()).items;
  const [blob] = await store.putObjects([{ type: 'blob', data: Buffer.from(`new ${Math.random()}\n`) }]);
  await store.putObjects([{ type: 'blob', data: Buffer.from(`another ${Math.random()}\n`) }]);
  const unreferenced = await store.putObject({ type: 'blob', data: Buffer.from('deleted again before the run\n') });
  await store.deleteObject(unreferenced);
  await store.updateRefs(a.id, [{ name: 'refs/heads/main', new: blob }], { commits: history(2, `log-${Math.random()}-`, 1_800_000_000) }); // moved, with 2 rows (newer than the others)
  const [gone] = await store.queryIndexedCommits(a.id, { limit: 1, until: 1_700_000_000 + 1 }); // the oldest row of a
  await store.pruneCommitIndex(a.id, (id) => id !== gone.id);
  await store.updateRefs(a.id, [{ name: 'refs/tags/v1', new: null }]); // deleted
  await store.updateRepository(a.id, { description: 'changed' });
  await store.deleteRepository(b.id); // and its refs with it
  const c = await store.createRepository({ name: `new-${Math.random()}`, visibility: 'public' });
  await store.updateRefs(c.id, [{ name: 'refs/heads/main', new: blob }]);
  const [u] = (await store.listUsers()).items;
  await store.deleteUser(u.id);
  await store.createUser({ username: `new-${Date.now()}`, email: `new${Date.now()}@example.com` });
  await store.logEvent({ action: 'push', resource: 'after' });
  await store.logEvent({ action: 'login', resource: 'after' });
  await store.setConfig('log.new', 'yes');
  await store.deleteConfig('log.setting');
  return {
    copied: { object: 2, commit: 2, repository: 2, ref: 2, user: 1, event: 2, config: 1 },
    // the unreferenced blob is in neither, so nothing to delete; the tag, repository b, the user, the config key, a's pruned row
    deleted: 5,
  };
}

const nothing = { object: 0, commit: 0, repository: 0, ref: 0, user: 0, event: 0, config: 0 };

for (const type of ['postgres', 'redis'] as const) {
  describe(`incremental migration through the ${type} change log`, () => {
    it('copies only what changed, of every kind, and trims what was applied', async () => {
      const source = await createStore(await stores.uri(type));
      const target = await createStore(await stores.uri('sqlite'));
      const slow = await createStore(await stores.uri('sqlite'));
      try {
        const log = changeLogOf(source.driver) as ChangeLog;
        assert.ok(log, `${type} keeps a change log`);
        await populate(source, 1, 'log');
        const first = await incremental(source, target, 'fast');
        assert.equal(first.changeLog, undefined, 'the first run copies in full');
        assert.equal(first.copied.object, (await source.metrics()).objectCount);
        await incremental(source, slow, 'slow');
        await assertEqual(source, target);

        const expected = await changeEverything(source);
        const second = await incremental(source, target, 'fast');
        assert.equal(second.changeLog, log.changeLogName, 'the second run follows the log');
        assert.deepEqual(second.copied, expected.copied);
        assert.equal(second.deleted, expected.deleted);
        await assertEqual(source, target);

        const third = await incremental(source, target, 'fast');
        assert.deepEqual(third.copied, nothing);
        assert.equal(third.deleted, 0);

        // the slower follower still gets every change it has not applied
        const behind = await incremental(source, slow, 'slow');
        assert.equal(behind.changeLog, log.changeLogName);
        assert.deepEqual(behind.copied, expected.copied);
        await assertEqual(source, slow);

        // both applied everything: the log keeps nothing before their position
        const head = await log.registerFollower('probe');
        await log.dropFollower('probe');
        const page = await log.readChanges(head, 1000);
        assert.deepEqual(page?.changes ?? [], []);
        assert.equal(await log.readChanges(type === 'postgres' ? '0' : '0-0', 1000), undefined, 'the log was trimmed');

        // a follower dropped (as after a week without a run) while others trim: told to copy in full, then follows anew
        await log.dropFollower('fast');
        await source.setConfig('log.after-drop', '1');
        await incremental(source, slow, 'slow');
        await assert.rejects(incremental(source, target, 'fast'), (err: Error & { code?: string }) => err.code === 'CONFLICT' && /trimmed past it.*without --incremental/s.test(err.message));
        await copyStore(source, target, 'log-source', {});
        const again = await incremental(source, target, 'fast');
        assert.equal(again.changeLog, undefined, 'after the full run: registered anew, a full merge');
        await assertEqual(source, target);
      } finally {
        await Promise.all([source.close(), target.close(), slow.close()]);
      }
    });

    it('change_log_retention: writes drop a follower that never returns and trim the log; it is told to copy in full', async () => {
      const uri = await stores.uri(type);
      const short = `${uri}${uri.includes('?') ? '&' : '?'}change_log_retention=1s`;
      let source = await createStore(short);
      const target = await createStore(await stores.uri('sqlite'));
      try {
        await populate(source, 1, 'ret');
        await incremental(source, target, 'gone');
        await source.setConfig('ret.logged', '1');
        assert.deepEqual((await incremental(source, target, 'gone')).copied.config, 1, 'followed while it acknowledges');
        await source.setConfig('ret.missed', '1');
        await new Promise((r) => setTimeout(r, 1300));
        // a write past the retention runs a pass; closing waits for it
        await source.setConfig('ret.trigger', '1');
        await source.close();
        source = await createStore(short);
        await assert.rejects(incremental(source, target, 'gone'), (err: Error & { code?: string }) => err.code === 'CONFLICT' && /change_log_retention/.test(err.message) && /without --incremental/.test(err.message));
        await copyStore(source, target, 'log-source', {});
        assert.equal((await incremental(source, target, 'gone')).changeLog, undefined);
        await source.setConfig('ret.after', '1');
        const followed = await incremental(source, target, 'gone');
        assert.equal(followed.changeLog, changeLogOf(source.driver)!.changeLogName);
        assert.equal(followed.copied.config, 1);
        await assertEqual(source, target);
      } finally {
        await Promise.all([source.close(), target.close()]);
      }
    });

    it('change_log_retention must be a positive duration', async () => {
      const uri = await stores.uri(type);
      for (const bad of ['0', 'soon']) {
        await assert.rejects(createStore(`${uri}${uri.includes('?') ? '&' : '?'}change_log_retention=${bad}`), (err: Error & { code?: string }) => err.code === 'CONFIG' && /change_log_retention/.test(err.message));
      }
    });

    it('--follow is woken by the log and copies a change at once', async () => {
      const sourceUri = await stores.uri(type);
      const targetUri = await stores.uri('sqlite');
      const source = await createStore(sourceUri);
      await populate(source, 1, 'f');
      // a poll of 60 s: a change arriving within 15 s came through the wake-up
      const run = startGovc(['datastore', 'migrate', '--incremental', '--follow', '--poll', '60000', '--json', '--source', sourceUri, '--target', targetUri]);
      try {
        let out = '';
        run.child.stdout!.on('data', (d) => (out += d));
        const passes = () => out.trim().split('\n').filter(Boolean).length;
        const waitFor = async (n: number) => {
          for (const deadline = Date.now() + 15_000; passes() < n; ) {
            assert.ok(Date.now() < deadline, `pass ${n} within 15 s: ${out}`);
            await new Promise((r) => setTimeout(r, 100));
          }
        };
        await waitFor(1);
        await new Promise((r) => setTimeout(r, 500));
        await source.setConfig('follow.me', 'now');
        await waitFor(2);
        const second = JSON.parse(out.trim().split('\n')[1]);
        assert.equal(second.copied.config, 1);
        assert.ok(second.changeLog);
      } finally {
        run.child.kill('SIGTERM');
        const r = await run.done;
        await source.close();
        assert.equal(r.signal ?? r.status, 0, r.stderr);
      }
    });
  });
}
