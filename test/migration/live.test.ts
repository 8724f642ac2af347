/**
 * A live migration under load: govc serve on a migrating store (SQLite source,
 * PostgreSQL target, then a Redis target) takes git pushes all through `govc datastore migrate
 * --live` and after its cut-over; then a server on the target alone serves
 * every pushed tip, and a clone of it passes git fsck. Real git, real servers.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRepo, makeRepo, repoUrl } from '../support/server.js';
import { gitEnv, gitOk, git } from '../../support/git.js';
import { startGovc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';
import { withStore } from '../support/with-store.js';
import { govc } from './cli.js';
import { populate, TestStores } from './stores.js';

const stores = new TestStores();
const tmp = tempDir('govc-live-');
after(async () => {
  tmp.remove();
  await stores.cleanup();
});

describe('live migration', () => {
  for (const [from, to] of [['sqlite', 'postgres'], ['sqlite', 'redis']] as const) {
    it(`loses no push made before, during or after the migration and its cut-over (${from} → ${to})`, async () => {
      const sourceUri = await stores.uri(from);
      const targetUri = await stores.uri(to);
      await withStore(sourceUri, (s) => populate(s, 10, 'live'));
      const config = join(tmp.path, `migrating-${to}.yaml`);
      writeFileSync(config, `datastore:\n  type: migrating\n  options:\n    source: ${JSON.stringify(sourceUri)}\n    target: ${JSON.stringify(targetUri)}\n`);
      const server = await startGovc(['--config', config, '--init-admin', 'admin']);
      const env = gitEnv(tmp.path);
      const work = join(tmp.path, `work-${to}`);
      const tips = new Map<string, string>();
      let pushes = 0;
      const failures: string[] = [];
      let stop = false;
      try {
        await createRepo(server.url, server.adminToken, 'live');
        const remote = repoUrl(server.url, 'live', 'admin', server.adminToken);
        (await import('node:fs')).mkdirSync(work);
        await makeRepo(work, env, 2);
        // pushes all the time: a commit on main, and every third one a new branch too
        const pusher = (async () => {
          for (let i = 0; !stop; i++) {
            writeFileSync(join(work, `f${i % 5}.txt`), `change ${i}\n`.repeat(1 + (i % 9)));
            await gitOk(work, env, ['add', '-A']);
            await gitOk(work, env, ['commit', '-q', '-m', `push ${i}`]);
            const head = (await gitOk(work, env, ['rev-parse', 'HEAD'])).trim();
            const refs = ['main', ...(i % 3 === 0 ? [`b${i}`] : [])];
            const r = await git(work, env, ['push', '-q', remote, ...refs.map((b) => `HEAD:refs/heads/${b}`)]);
            if (r.code !== 0) failures.push(`push ${i}: ${r.stderr}`);
            else for (const b of refs) tips.set(b, head);
            pushes++;
          }
        })();
        while (pushes < 3) await new Promise((r) => setTimeout(r, 50));
        const live = await govc('datastore', 'migrate', '--live', '--source', sourceUri, '--target', targetUri, '--batch-size', '50', '--json');
        assert.equal(live.status, 0, live.stderr + live.stdout);
        const during = pushes;
        const summary = JSON.parse(live.stdout);
        assert.equal(summary.verify.equal, true);
        // more pushes after the cut-over, read back from the target now
        while (pushes < during + 3) await new Promise((r) => setTimeout(r, 50));
        stop = true;
        await pusher;
        assert.deepEqual(failures, []);
        assert.ok(during >= 4, `pushes ran during the migration (${during})`);
      } finally {
        stop = true;
        await server.stop();
      }
      // the target alone has every push
      const alone = await startGovc(['--store', targetUri]);
      try {
        const clone = join(tmp.path, `clone-${to}`);
        await gitOk(tmp.path, env, ['clone', '-q', '--mirror', repoUrl(alone.url, 'live'), clone]);
        for (const [branch, tip] of tips) assert.equal((await gitOk(clone, env, ['rev-parse', `refs/heads/${branch}`])).trim(), tip, branch);
        await gitOk(clone, env, ['fsck', '--strict']);
      } finally {
        await alone.stop();
      }
      // and every pushed commit's index row, kept its own way (PostgreSQL: its tables, which is all it reads)
      const listed = await govc('repo', 'commits', 'live', '--store', targetUri, '--limit', '10000');
      assert.equal(listed.status, 0, listed.stderr);
      const indexed = listed.stdout.trim().split('\n').map((line) => line.split(' ')[0]);
      assert.deepEqual(indexed.sort(), (await gitOk(work, env, ['rev-list', '--all'])).trim().split('\n').sort());
    });
  }
});
