/**
 * `govc repo index <name> --prune`: after a branch is deleted and main is
 * forced back, the rows of commits no ref reaches are removed (and with them
 * a contributor only those commits had), on SQLite (config keys) and
 * PostgreSQL (its tables); `repo commits` and `repo stats` then match git.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createStore } from '../../src/datastore/index.js';
import { schemaFactory } from '../stores/fixtures/pg-support.js';
import { gitEnv, gitOk } from '../../support/git.js';
import { runGovc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';

const pg = schemaFactory('postgres');
after(() => pg.cleanup());

const stores: Array<[string, (dir: string) => Promise<string>]> = [
  ['sqlite', async (dir) => `sqlite://${join(dir, 'govc.db')}`],
  ['postgres', () => pg.freshConfig()],
];

async function govcOk(args: string[]): Promise<string> {
  const r = await runGovc(args);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

for (const [kind, storeUri] of stores) {
  describe(`repo index --prune (${kind})`, () => {
    it('removes the rows of commits no ref reaches after a force-push and a deleted branch', async () => {
      const tmp = tempDir();
      try {
        const env = gitEnv(tmp.path);
        const src = join(tmp.path, 'src');
        await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', src]);
        const commit = async (text: string, author = 'A U Thor <author@example.com>') => {
          writeFileSync(join(src, `${text}.txt`), `${text}\n`);
          await gitOk(src, env, ['add', '-A']);
          await gitOk(src, env, ['commit', '-q', '--author', author, '-m', text]);
        };
        for (const t of ['one', 'two', 'three']) await commit(t);
        await gitOk(src, env, ['checkout', '-q', '-b', 'feature']);
        await commit('side', 'Only Side <side@example.com>');
        await gitOk(src, env, ['checkout', '-q', 'main']);

        const uri = await storeUri(tmp.path);
        await govcOk(['repo', 'import', src, '--store', uri, '--name', 'demo']);
        const stats = async () => JSON.parse(await govcOk(['repo', 'stats', 'demo', '--store', uri, '--json'])) as { commits: number; contributors: number };
        assert.deepEqual(await stats(), { commits: 4, branches: 2, tags: 0, contributors: 2 });

        // main forced back one commit, feature deleted: two commits are unreachable
        const store = await createStore(uri);
        try {
          const repo = (await store.getRepositoryByName('demo'))!;
          const first = (await gitOk(src, env, ['rev-parse', 'main~1'])).trim();
          await store.updateRefs(repo.id, [{ name: 'refs/heads/main', new: first }, { name: 'refs/heads/feature', new: null }]);
        } finally {
          await store.close();
        }
        assert.equal((await stats()).commits, 4, 'rows stay until pruned');

        const out = await govcOk(['repo', 'index', 'demo', '--prune', '--store', uri]);
        assert.match(out, /removed 2 commits no ref reaches/);
        assert.match(out, /indexed 0 new commits/);
        assert.deepEqual(await stats(), { commits: 2, branches: 1, tags: 0, contributors: 1 });
        const listed = (await govcOk(['repo', 'commits', 'demo', '--store', uri])).trim().split('\n').map((l) => l.split(' ')[0]);
        assert.deepEqual(listed.sort(), (await gitOk(src, env, ['rev-list', 'main~1'])).trim().split('\n').sort());
        assert.match(await govcOk(['repo', 'index', 'demo', '--prune', '--store', uri]), /removed 0 commits/);
      } finally {
        tmp.remove();
      }
    });
  });
}
