/**
 * The commit index follows every push with no `repo index`: real git pushes
 * to `govc serve` on SQLite (index in config keys) and PostgreSQL (its own
 * tables), then `govc repo commits` and `repo stats`; a refused push adds no rows.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { schemaFactory } from '../stores/fixtures/pg-support.js';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { runGovc, startGovc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';
import { pushedRepo } from '../support/server.js';

const pg = schemaFactory('postgres');
after(() => pg.cleanup());

const stores: Array<[string, (dir: string) => Promise<string>]> = [
  ['sqlite', async (dir) => `sqlite://${join(dir, 'govc.db')}`],
  ['postgres', () => pg.freshConfig()],
];

async function commit(dir: string, env: NodeJS.ProcessEnv, text: string): Promise<void> {
  writeFileSync(join(dir, `${text}.txt`), `${text}\n`);
  await gitOk(dir, env, ['add', '-A']);
  await gitOk(dir, env, ['commit', '-q', '-m', text]);
}

async function indexed(uri: string, name: string): Promise<string[]> {
  const r = await runGovc(['repo', 'commits', name, '--store', uri, '--limit', '1000']);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean).map((line) => line.split(' ')[0]);
}

for (const [kind, storeUri] of stores) {
  describe(`push indexes its commits (${kind})`, () => {
    it('repo commits and repo stats see a push at once; a refused push leaves no rows', async () => {
      const tmp = tempDir();
      const env = gitEnv(tmp.path);
      const uri = await storeUri(tmp.path);
      const govc = await startGovc(['--store', uri, '--init-admin', 'admin']);
      try {
        const src = join(tmp.path, 'src');
        const url = await pushedRepo(govc, 'demo', src, env, 3);
        const log = (await gitOk(src, env, ['log', '--format=%H', 'main'])).trim().split('\n');
        assert.deepEqual((await indexed(uri, 'demo')).sort(), [...log].sort());
        const stats = await runGovc(['repo', 'stats', 'demo', '--store', uri, '--json']);
        assert.equal(stats.code, 0, stats.stderr);
        assert.deepEqual(JSON.parse(stats.stdout), { commits: 3, branches: 1, tags: 0, contributors: 1 });

        // An atomic push with a rejected non-fast-forward refuses its new branch too: none of its commits are indexed.
        await gitOk(src, env, ['checkout', '-q', '-b', 'feature']);
        await commit(src, env, 'feature-1');
        await commit(src, env, 'feature-2');
        await gitOk(src, env, ['checkout', '-q', '-b', 'rewrite', 'main~1']);
        await commit(src, env, 'rewrite-1');
        const refused = await git(src, env, ['push', '--atomic', url, 'feature:refs/heads/feature', 'rewrite:refs/heads/main']);
        assert.notEqual(refused.code, 0, refused.stderr);
        const fresh = (await gitOk(src, env, ['rev-list', 'feature', 'rewrite', '--not', 'main'])).trim().split('\n');
        const after1 = await indexed(uri, 'demo');
        assert.equal(after1.length, 3);
        for (const id of fresh) assert.ok(!after1.includes(id), `refused commit ${id} was indexed`);

        // The same branch alone goes through, and its commits are there at once.
        await gitOk(src, env, ['push', url, 'feature']);
        const all = await indexed(uri, 'demo');
        const featureLog = (await gitOk(src, env, ['log', '--format=%H', 'feature'])).trim().split('\n');
        assert.deepEqual(all.sort(), [...featureLog].sort());
      } finally {
        assert.equal(await govc.stop(), 0, govc.output());
        tmp.remove();
      }
    });
  });
}
