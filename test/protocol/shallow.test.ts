/**
 * Shallow clones and fetches with the real git over smart HTTP, protocol v0
 * and v2, on a SQLite store: --depth, --deepen, --shallow-since,
 * --shallow-exclude and --unshallow give what git's own upload-pack gives
 * for the same repository (same commits, same shallow boundary), pass
 * `git fsck`, and log like a full clone for what they hold. Pushes from a
 * shallow clone follow git's rules.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { api } from '../../support/govc.js';
import { createRepo } from '../support/server.js';
import { git, gitOk } from '../../support/git.js';
import { describeClone, lines, protocolFixture, type ProtocolFixture } from './support.js';

describe('shallow clone and fetch, against git upload-pack', () => {
  let f: ProtocolFixture;
  let fullLog: string[];
  before(async () => {
    f = await protocolFixture();
    await gitOk(f.tmp.path, f.env, ['clone', '-q', '--mirror', f.url(), 'full']);
    fullLog = lines(await gitOk(join(f.tmp.path, 'full'), f.env, ['log', '--all', '--format=%H %at %s']));
  });
  after(() => f.close());

  /** Clones from govc and from git's own upload-pack with the same arguments, then runs `then` in both; both must hold the same. */
  async function same(name: string, version: number, args: string[], then: string[][] = []) {
    const ours = join(f.tmp.path, `${name}-v${version}-govc`);
    const theirs = join(f.tmp.path, `${name}-v${version}-git`);
    await gitOk(f.tmp.path, f.env, ['-c', `protocol.version=${version}`, 'clone', '-q', '--no-local', ...args, f.url(), ours]);
    await gitOk(f.tmp.path, f.env, ['-c', `protocol.version=${version}`, 'clone', '-q', '--no-local', ...args, `file://${f.source}`, theirs]);
    for (const step of then) {
      await gitOk(ours, f.env, ['-c', `protocol.version=${version}`, ...step]);
      await gitOk(theirs, f.env, ['-c', `protocol.version=${version}`, ...step]);
    }
    const [a, b] = [await describeClone(ours, f.env), await describeClone(theirs, f.env)];
    assert.deepEqual(a.shallow, b.shallow, `${name}: the shallow boundary is git's`);
    assert.deepEqual(a.log, b.log, `${name}: the same commits as git's`);
    await gitOk(ours, f.env, ['fsck', '--no-progress']);
    // Its log is the full clone's, restricted to what it holds.
    const held = new Set(a.log);
    assert.deepEqual(a.log, fullLog.filter((l) => held.has(l)));
    return a;
  }

  for (const version of [0, 2]) {
    it(`--depth 1, then --deepen 3, then --unshallow (protocol v${version})`, async () => {
      const one = await same('depth', version, ['--depth', '1', '--no-single-branch']);
      assert.ok(one.shallow.length >= 1 && one.log.length < fullLog.length);
      await same('deepen', version, ['--depth', '1'], [['fetch', '-q', '--deepen', '3']]);
      const whole = await same('unshallow', version, ['--depth', '2'], [['fetch', '-q', '--unshallow']]);
      assert.equal(whole.shallow.length, 0);
    });

    it(`--shallow-since and --shallow-exclude (protocol v${version})`, async () => {
      await same('since', version, ['--shallow-since', '2020-10-01']);
      await same('exclude', version, ['--shallow-exclude', 'v29', '--no-single-branch']);
    });

    it(`a shallow-exclude of no ref is refused in words git shows (protocol v${version})`, async () => {
      const r = await git(f.tmp.path, f.env, ['-c', `protocol.version=${version}`, 'clone', '-q', '--shallow-exclude', 'no-such-ref', f.url(), `bad-v${version}`]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /remote error: deepen-not: no-such-ref is not a ref of this repository/);
    });
  }

  it('a push from a shallow clone is taken when the repository has the history, refused as git does when it would need it', async () => {
    const dir = join(f.tmp.path, 'push-shallow');
    await gitOk(f.tmp.path, f.env, ['clone', '-q', '--depth', '1', f.url(), dir]);
    writeFileSync(join(dir, 'new.txt'), 'from a shallow clone\n');
    await gitOk(dir, f.env, ['add', 'new.txt']);
    await gitOk(dir, f.env, ['commit', '-q', '-m', 'from shallow']);
    await gitOk(dir, f.env, ['push', '-q', f.url(), 'HEAD:refs/heads/from-shallow']);
    const head = (await gitOk(dir, f.env, ['rev-parse', 'HEAD'])).trim();
    assert.match(await gitOk(f.tmp.path, f.env, ['ls-remote', f.url(), 'refs/heads/from-shallow']), new RegExp(`^${head}`));

    await createRepo(f.govc.url, f.govc.adminToken, 'empty');
    const r = await git(dir, f.env, ['push', f.url('empty'), 'HEAD:refs/heads/main']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\[remote rejected\] HEAD -> main \(shallow update not allowed\)/);
    assert.equal((await gitOk(f.tmp.path, f.env, ['ls-remote', f.url('empty')])).trim(), '');
    // The audit event is written once git has its answer: wait for it.
    let events = { body: { items: [] as any[] } };
    for (let i = 0; i < 50 && events.body.items.length === 0; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      events = await api(f.govc.url, 'GET', '/api/v1/events?action=git.push&repository=empty&limit=10', { token: f.govc.adminToken });
    }
    assert.equal(events.body.items[0].details.shallowClient, true);
  });
});
