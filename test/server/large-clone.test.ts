/** A repository of 10,000+ commits pushed to govc serve and cloned back: same objects, refs and history. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeBigRepo } from '../../support/big-repo.js';
import { createRepo, repoUrl } from '../support/server.js';
import { gitEnv, gitOk } from '../../support/git.js';
import { startGovc, type Govc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';

const COMMITS = 10_000;

/**
 * Sent with deltas between versions of each directory's tree: about 4 MB
 * (git's own server sends 2.8 MB); whole objects, or bases too far apart
 * to deltify against, take 14 to 17 MB.
 */
async function assertCompactPack(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const sizeKiB = Number(/^size-pack: (\d+)$/m.exec(await gitOk(dir, env, ['count-objects', '-v']))?.[1]);
  assert.ok(sizeKiB > 0 && sizeKiB < 8 * 1024, `the clone's pack takes ${sizeKiB} KiB`);
}

describe('govc serve: a repository of 10,000+ commits', () => {
  let govc: Govc;
  const tmp = tempDir();
  const env = gitEnv(tmp.path);
  const src = join(tmp.path, 'src');

  before(async () => {
    govc = await startGovc(['--store', 'memory://', '--init-admin', 'admin']);
    await createRepo(govc.url, govc.adminToken, 'big');
    await gitOk(tmp.path, env, ['init', '-q', 'src']);
    await makeBigRepo(src, env, COMMITS);
  });
  after(async () => {
    await govc.stop();
    tmp.remove();
  });

  it('pushes it all and clones it back identical', { timeout: 240_000 }, async () => {
    const count = Number(await gitOk(src, env, ['rev-list', '--all', '--count']));
    assert.ok(count >= COMMITS, `generated ${count} commits`);
    await gitOk(src, env, ['push', '-q', repoUrl(govc.url, 'big', 'admin', govc.adminToken), '--all']);
    await gitOk(src, env, ['push', '-q', repoUrl(govc.url, 'big', 'admin', govc.adminToken), '--tags']);
    await gitOk(tmp.path, env, ['clone', '-q', '--mirror', repoUrl(govc.url, 'big'), 'clone.git']);
    const clone = join(tmp.path, 'clone.git');
    await gitOk(clone, env, ['fsck', '--full']);
    const refs = (dir: string) => gitOk(dir, env, ['for-each-ref', '--format=%(objectname) %(refname)']);
    assert.equal(await refs(clone), await refs(src));
    const revs = (dir: string) => gitOk(dir, env, ['rev-list', '--all', '--objects']);
    const [a, b] = [await revs(clone), await revs(src)];
    assert.equal(a.split('\n').length, b.split('\n').length);
    assert.equal(a, b);
    await assertCompactPack(clone, env);

    // The same over protocol v0 (the default above is v2).
    await gitOk(tmp.path, env, ['-c', 'protocol.version=0', 'clone', '-q', '--mirror', repoUrl(govc.url, 'big'), 'clone0.git']);
    const clone0 = join(tmp.path, 'clone0.git');
    await gitOk(clone0, env, ['fsck', '--full']);
    assert.equal(await refs(clone0), await refs(src));
    assert.equal(await revs(clone0), b);
    await assertCompactPack(clone0, env);
  });
});
