/**
 * The clone pack cache through `govc serve` and real git: a second identical
 * clone is served from the cache (git shows it in its progress), both pass
 * fsck; after a push the next clone gets the new commit (its wants differ);
 * shallow clones are cached apart; identical clones at once all succeed; and
 * `server.pack_cache.enabled: false` turns it off.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { startGovc, type Govc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';
import { pushedRepo } from '../support/server.js';

const HIT = 'a pack made for an identical clone';
const tmp = tempDir('govc-pack-cache-serve-');
after(() => tmp.remove());
const env = gitEnv(tmp.path);
let serial = 0;

/** govc serve on a fresh SQLite store with its own tmp_dir, and the config's extra server: lines. */
async function serve(extra = ''): Promise<{ govc: Govc; tmpDir: string }> {
  const n = serial++;
  const tmpDir = join(tmp.path, `tmp-${n}`);
  const config = join(tmp.path, `govc-${n}.yaml`);
  writeFileSync(config, `datastore: {type: sqlite, connection: ${join(tmp.path, `govc-${n}.db`)}}\nserver:\n  tmp_dir: ${tmpDir}\n${extra}`);
  return { govc: await startGovc(['-c', config, '--init-admin', 'admin']), tmpDir };
}

/** Clones with progress on; returns git's stderr. */
async function clone(url: string, dest: string, ...args: string[]): Promise<string> {
  const r = await git(tmp.path, env, ['clone', '--bare', '--progress', ...args, url, dest]);
  assert.equal(r.code, 0, r.stderr);
  await gitOk(dest, env, ['fsck', '--strict']);
  return r.stderr;
}

describe('clone pack cache (govc serve, real git)', () => {
  it('serves an identical clone from the cache, a clone after a push afresh, and shallow clones apart', async () => {
    const { govc, tmpDir } = await serve();
    try {
      const src = join(tmp.path, 'src');
      const url = await pushedRepo(govc, 'demo', src, env, 5);

      assert.doesNotMatch(await clone(url, join(tmp.path, 'c1')), new RegExp(HIT));
      assert.ok(existsSync(join(tmpDir, 'pack-cache')), 'the cache lives in tmp_dir');
      assert.match(await clone(url, join(tmp.path, 'c2')), new RegExp(HIT));
      const heads = async (dir: string) => (await gitOk(dir, env, ['rev-parse', 'refs/heads/main'])).trim();
      assert.equal(await heads(join(tmp.path, 'c2')), await heads(join(tmp.path, 'c1')));

      writeFileSync(join(src, 'new.txt'), 'new\n');
      await gitOk(src, env, ['add', '-A']);
      await gitOk(src, env, ['commit', '-q', '-m', 'new']);
      await gitOk(src, env, ['push', url, 'main']);
      assert.doesNotMatch(await clone(url, join(tmp.path, 'c3')), new RegExp(HIT));
      assert.equal(await heads(join(tmp.path, 'c3')), await heads(src));

      assert.doesNotMatch(await clone(url, join(tmp.path, 's1'), '--depth', '1'), new RegExp(HIT));
      assert.match(await clone(url, join(tmp.path, 's2'), '--depth', '1'), new RegExp(HIT));
      assert.equal((await gitOk(join(tmp.path, 's2'), env, ['rev-list', '--count', 'HEAD'])).trim(), '1');

      const many = await Promise.all([0, 1, 2, 3].map((i) => git(tmp.path, env, ['clone', '--bare', '-q', url, join(tmp.path, `m${i}`)])));
      for (const r of many) assert.equal(r.code, 0, r.stderr);
      for (let i = 0; i < 4; i++) assert.equal(await heads(join(tmp.path, `m${i}`)), await heads(src));
    } finally {
      await govc.stop();
    }
  });

  it('is off with server.pack_cache.enabled: false', async () => {
    const { govc, tmpDir } = await serve('  pack_cache: {enabled: false}\n');
    try {
      const url = await pushedRepo(govc, 'demo', join(tmp.path, 'src-off'), env, 2);
      await clone(url, join(tmp.path, 'off1'));
      assert.doesNotMatch(await clone(url, join(tmp.path, 'off2')), new RegExp(HIT));
      assert.ok(!existsSync(join(tmpDir, 'pack-cache')));
    } finally {
      await govc.stop();
    }
  });
});
