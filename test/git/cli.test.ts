import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tempDir } from '../../support/temp-dir.js';
import { makeFixtureRepo, removeDir } from './fixture.js';
import { gitSync, gitBuffer, gitStatus } from '../../support/git.js';
import { CLI as MAIN } from '../../support/govc.js';


describe('govc repo commands (SQLite store, separate processes)', () => {
  let root: string;
  let repo: string;
  let store: string;
  before(() => {
    root = tempDir().path;
    repo = makeFixtureRepo(root);
    store = `sqlite://${join(root, 'govc.db')}`;
  });
  after(() => removeDir(root));

  function govc(...args: string[]): { status: number; stdout: Buffer; stderr: string } {
    const r = spawnSync(process.execPath, [MAIN, 'repo', ...args, '--store', store], { encoding: 'buffer' });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString() };
  }

  test('import, log, diff, export', () => {
    const imported = govc('import', repo, '--name', 'fx');
    assert.equal(imported.status, 0, imported.stderr);
    assert.match(imported.stdout.toString(), /imported .* as fx \(new repository .*\): (\d+) of \1 objects added, 10 refs changed/);
    assert.match(govc('import', repo, '--name', 'fx').stdout.toString(), /: 0 of \d+ objects added, 0 refs changed/);

    for (const ref of ['main', 'feature', 'v1.0']) {
      const log = govc('log', 'fx', ref, '--format', 'hash');
      assert.equal(log.stdout.toString(), gitSync(repo, ['log', '--format=%H', ref]), `log ${ref}`);
    }
    assert.equal(govc('log', 'fx', '--limit', '2', '--format', 'hash').stdout.toString(), gitSync(repo, ['log', '--format=%H', '-n', '2']));
    assert.equal(govc('diff', 'fx', 'light-v1', 'main', '--name-status').stdout.toString('latin1'), gitBuffer(repo, ['-c', 'core.quotepath=true', 'diff', '--name-status', '--no-renames', 'light-v1', 'main']).toString('latin1'));
    assert.equal(govc('diff', 'fx', 'empty', 'main', '--no-quote-path').stdout.toString('latin1'), gitBuffer(repo, ['-c', 'core.quotepath=false', 'diff', '--name-status', '--no-renames', 'empty', 'main']).toString('latin1'));

    const out = join(root, 'out.git');
    const exported = govc('export', 'fx', out);
    assert.equal(exported.status, 0, exported.stderr);
    assert.equal(gitStatus(out, ['fsck', '--full']).status, 0);
    assert.equal(gitSync(out, ['for-each-ref']), gitSync(repo, ['for-each-ref']));
  });

  test('branch list, create, delete, ff-check; commits and stats', () => {
    assert.equal(govc('branch', 'create', 'fx', 'topic', 'feature').status, 0);
    const list = govc('branch', 'list', 'fx').stdout.toString();
    assert.match(list, new RegExp(`^${gitSync(repo, ['rev-parse', 'feature']).trim()} topic$`, 'm'));
    assert.equal(govc('branch', 'create', 'fx', 'topic', 'main').status, 1, 'exists already');
    assert.equal(govc('branch', 'ff-check', 'fx', 'feature', 'main').status, 0);
    assert.equal(govc('branch', 'ff-check', 'fx', 'main', 'feature').status, 1);
    assert.equal(govc('branch', 'delete', 'fx', 'topic').status, 0);
    assert.doesNotMatch(govc('branch', 'list', 'fx').stdout.toString(), /topic/);

    const rows = govc('commits', 'fx', '--author', 'alan@example.com', '--json').stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    assert.deepEqual(rows.map((r) => r.id).sort(), gitSync(repo, ['log', '--all', '--format=%H', '--author=alan@']).trim().split('\n').sort());
    const stats = JSON.parse(govc('stats', 'fx', '--json').stdout.toString());
    assert.equal(stats.commits, Number(gitSync(repo, ['rev-list', '--all', '--count']).trim()));
    const missing = govc('log', 'nope');
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /repository "nope" does not exist/);
  });
});
