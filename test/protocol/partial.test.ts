/**
 * Partial clones with the real git over smart HTTP, protocol v0 and v2, on a
 * SQLite store: each filter leaves out what git's own upload-pack leaves out
 * for the same repository; then the clone fetches what it lacks on demand:
 * `git log -p` prints what a full clone prints, `git checkout` of another
 * branch brings its files, and `git fsck` passes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gitOk } from '../../support/git.js';
import { describeClone, protocolFixture, type ProtocolFixture } from './support.js';

const FILTERS = ['blob:none', 'blob:limit=1k', 'tree:0', 'tree:2', 'object:type=tree', 'combine:blob:limit=4k+tree:3'];

describe('partial clone, against git upload-pack', () => {
  let f: ProtocolFixture;
  let fullPatch: string;
  before(async () => {
    f = await protocolFixture(40);
    await gitOk(f.tmp.path, f.env, ['clone', '-q', f.url(), 'full']);
    fullPatch = await gitOk(join(f.tmp.path, 'full'), f.env, ['log', '-p', '--format=%H %s']);
  });
  after(() => f.close());

  for (const [i, filter] of FILTERS.entries()) {
    const version = i % 2 === 0 ? 2 : 0;
    it(`--filter=${filter} (protocol v${version}): what git leaves out, then fetched on demand`, async () => {
      const ours = join(f.tmp.path, `p${i}-govc`);
      const theirs = join(f.tmp.path, `p${i}-git`);
      const clone = (from: string, to: string) => gitOk(f.tmp.path, f.env, ['-c', `protocol.version=${version}`, 'clone', '-q', '--no-checkout', `--filter=${filter}`, from, to]);
      await clone(f.url(), ours);
      await clone(`file://${f.source}`, theirs);
      const [a, b] = [await describeClone(ours, f.env), await describeClone(theirs, f.env)];
      assert.deepEqual(a.missing, b.missing, 'the same objects left out as git leaves out');
      assert.deepEqual(a.log, b.log);
      if (filter !== 'object:type=tree') assert.ok(a.missing.length > 0, 'the filter left something out');

      const run = (args: string[]) => gitOk(ours, f.env, ['-c', `protocol.version=${version}`, ...args]);
      assert.equal(await run(['log', '-p', '--format=%H %s']), fullPatch, 'git log -p fetches what it lacks');
      await run(['checkout', '-q', 'main']);
      await run(['checkout', '-q', 'other']);
      assert.equal(readFileSync(join(ours, 'other', 'only-here.txt'), 'utf8'), 'only on other\n'.repeat(50));
      await run(['fsck', '--no-progress']);
    });
  }
});
