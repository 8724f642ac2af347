/**
 * Exports into a destination that fills up: the CLI runs under a file-size
 * limit (prlimit --fsize, RLIMIT_FSIZE: node ignores SIGXFSZ, so a write past
 * it fails with EFBIG as a full disk fails with ENOSPC). The first error
 * reaches the user, the command exits non-zero and nothing is left that
 * looks like a finished export.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gitStatus, gitSync as git } from '../../support/git.js';
import { CLI as MAIN } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';
import { makeFixtureRepo, removeDir } from './fixture.js';

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
/** Well below the fixture's pack (its random multi-MB blobs do not compress). */
const LIMIT = 1 << 20;

describe('export into a destination that fills up (SQLite store, CLI under a file-size limit)', { skip: hasPrlimit ? false : 'prlimit (util-linux) is not installed' }, () => {
  let root: string;
  let repo: string;
  let store: string;
  before(() => {
    root = tempDir().path;
    repo = makeFixtureRepo(root);
    store = `sqlite://${join(root, 'govc.db')}`;
    const r = govc(['repo', 'import', repo, '--name', 'fx', '--no-index', '--store', store]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(() => root && removeDir(root));

  function govc(args: string[], fsize?: number): { status: number; stderr: string } {
    const cmd = fsize ? ['prlimit', `--fsize=${fsize}`, process.execPath, MAIN, ...args] : [process.execPath, MAIN, ...args];
    const r = spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8' });
    return { status: r.status ?? -1, stderr: r.stderr };
  }

  test('repo export: EFBIG reaches the user, exit 1, no repository and no temp directory left', () => {
    const parent = join(root, 'exports');
    mkdirSync(parent);
    const out = join(parent, 'fx.git');
    const r = govc(['repo', 'export', 'fx', out, '--store', store], LIMIT);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /EFBIG|file too large/);
    assert.doesNotMatch(r.stderr, /ERR_STREAM_DESTROYED|Unhandled/);
    assert.deepEqual(readdirSync(parent), [], 'nothing left beside the target');

    // The same export without the limit is whole.
    const ok = govc(['repo', 'export', 'fx', out, '--store', store]);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(gitStatus(out, ['fsck', '--full', '--strict']).status, 0);
    assert.equal(git(out, ['for-each-ref']), git(repo, ['for-each-ref']));
    assert.deepEqual(readdirSync(parent), ['fx.git']);
  });

  test('repo export into an empty directory that exists keeps it on failure, fills it on success', () => {
    const out = join(root, 'empty-target');
    mkdirSync(out);
    const r = govc(['repo', 'export', 'fx', out, '--store', store], LIMIT);
    assert.equal(r.status, 1, r.stderr);
    assert.deepEqual(readdirSync(out), []);
    assert.equal(govc(['repo', 'export', 'fx', out, '--store', store]).status, 0);
    assert.equal(gitStatus(out, ['fsck', '--full']).status, 0);
  });

  test('repo export refuses a directory that is not empty and leaves it as it was', () => {
    const out = join(root, 'busy');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine\n');
    const r = govc(['repo', 'export', 'fx', out, '--store', store]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /exists and is not empty/);
    assert.deepEqual(readdirSync(out), ['keep.txt']);
  });

  test('datastore export: EFBIG reaches the user, exit non-zero, neither the archive nor its .partial left', () => {
    const parent = join(root, 'archives');
    mkdirSync(parent);
    const out = join(parent, 'all.tar.gz');
    const r = govc(['datastore', 'export', '--source', store, '--output', out], LIMIT);
    assert.notEqual(r.status, 0, r.stderr);
    assert.match(r.stderr, /EFBIG|file too large/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(readdirSync(parent), [], r.stderr);
  });
});
