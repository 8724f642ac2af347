/**
 * The engine as SSH runs it (one stream, the advertisement first, every
 * negotiation round on it), driven by the real git through its `ext::`
 * transport and stream-serve.ts, on a SQLite store: push, clone (v0 and v2),
 * an incremental fetch that negotiates, shallow and partial clones.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { createStore } from '../../src/datastore/builtin.js';
import { gitEnv, gitOk } from '../../support/git.js';
import { tempDir } from '../../support/temp-dir.js';
import { generateRepo } from './history.js';
import { lines } from './support.js';

const SERVE = fileURLToPath(new URL('./stream-serve.js', import.meta.url));

describe('the protocol engine on one stream (as over SSH), with git through ext::', () => {
  const tmp = tempDir('govc-stateful-');
  const env = gitEnv(tmp.path);
  const source = join(tmp.path, 'source');
  const uri = `sqlite://${join(tmp.path, 'store.db')}`;
  const remote = (version: number) => `ext::node ${SERVE} ${uri} %S gen${version === 2 ? ' version=2' : ''}`;
  const gitAt = (dir: string, version: number, args: string[]) => gitOk(dir, env, ['-c', 'protocol.ext.allow=always', '-c', `protocol.version=${version}`, ...args]);
  const sourceLog = async () => lines(await gitOk(source, env, ['log', '--all', '--format=%H %s']));

  before(async () => {
    generateRepo(source, env, 30);
    const store = await createStore(uri);
    await store.createRepository({ name: 'gen' });
    await store.close();
    await gitAt(source, 0, ['push', '-q', remote(0), '--all']);
    await gitAt(source, 0, ['push', '-q', remote(0), '--tags']);
  });
  after(() => tmp.remove());

  for (const version of [0, 2]) {
    it(`clones, then fetches only what is new after negotiating (v${version})`, async () => {
      const dir = join(tmp.path, `clone-v${version}`);
      await gitAt(tmp.path, version, ['clone', '-q', '--mirror', remote(version), dir]);
      assert.deepEqual(lines(await gitOk(dir, env, ['log', '--all', '--format=%H %s'])), await sourceLog());
      await gitOk(dir, env, ['fsck', '--no-progress']);

      const work = join(tmp.path, `work-v${version}`);
      await gitAt(tmp.path, version, ['clone', '-q', remote(version), work]);
      writeFileSync(join(work, `new-v${version}.txt`), `new on v${version}\n`);
      await gitOk(work, env, ['add', '-A']);
      await gitOk(work, env, ['commit', '-q', '-m', `new on v${version}`]);
      await gitAt(work, version, ['push', '-q', 'origin', `HEAD:refs/heads/new-v${version}`]);
      await gitOk(work, env, ['push', '-q', source, `HEAD:refs/heads/new-v${version}`]);
      await gitAt(dir, version, ['fetch', '-q', 'origin']);
      assert.equal((await gitOk(dir, env, ['rev-parse', `new-v${version}`])).trim(), (await gitOk(work, env, ['rev-parse', 'HEAD'])).trim());
      assert.equal(lines(await gitOk(dir, env, ['count-objects', '-v'])).find((l) => l.startsWith('count:')), 'count: 3', 'the fetch brought the commit, its tree and its blob, loose');
    });

    it(`shallow and partial clones (v${version})`, async () => {
      const shallow = join(tmp.path, `shallow-v${version}`);
      await gitAt(tmp.path, version, ['clone', '-q', '--depth', '2', remote(version), shallow]);
      const theirs = join(tmp.path, `shallow-git-v${version}`);
      await gitAt(tmp.path, version, ['clone', '-q', '--depth', '2', `file://${source}`, theirs]);
      assert.deepEqual(lines(await gitOk(shallow, env, ['log', '--format=%H'])), lines(await gitOk(theirs, env, ['log', '--format=%H'])));
      await gitAt(shallow, version, ['fetch', '-q', '--unshallow']);
      await gitOk(shallow, env, ['fsck', '--no-progress']);

      const partial = join(tmp.path, `partial-v${version}`);
      await gitAt(tmp.path, version, ['clone', '-q', '--filter=blob:none', remote(version), partial]);
      assert.equal(await gitAt(partial, version, ['log', '-p', '-n', '4', '--format=%H', 'main']), await gitOk(source, env, ['log', '-p', '-n', '4', '--format=%H', 'main']));
      await gitAt(partial, version, ['fsck', '--no-progress']);
    });
  }
});
