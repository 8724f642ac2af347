/**
 * Issue 19, item 6: a killed server's temporary receive directory is removed
 * when the next server starts on the same host; a live server's is not, nor
 * one of another host. The server's own directory goes at shutdown.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/datastore/errors.js';
import { prepareTmpDir } from '../../src/server/tmp-dirs.js';
import { tempDir } from '../../support/temp-dir.js';
import { assertCloneFsckClean, assertResponsive, createAndPush, snapshot, STORES, startTestServer } from './hardening-helpers.js';

const host = hostname().replace(/[^A-Za-z0-9._]/g, '_') || 'localhost';

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

/** A leftover receive directory with a file in it, as a killed push leaves it. */
function leftover(root: string, owner: string): string {
  const dir = join(root, owner);
  mkdirSync(join(dir, 'govc-receive-abc123'), { recursive: true });
  writeFileSync(join(dir, 'govc-receive-abc123', 'pack.tmp'), Buffer.alloc(4096));
  return dir;
}

for (const kind of STORES) {
  describe(`temporary receive directories (${kind} store)`, () => {
    it('removes a dead server directory at start, keeps a live one and another host, removes its own at shutdown', async () => {
      const scratch = tempDir('govc-tmpdirs-');
      const root = join(scratch.path, 'tmp');
      const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
      try {
        const dead = leftover(root, `${host}-${await deadPid()}-0badc0de`);
        const alive = leftover(root, `${host}-${live.pid}-0badc0de`);
        const otherHost = leftover(root, `some-other-host-${await deadPid()}-0badc0de`);
        const unrelated = leftover(root, 'notes');

        const t = await startTestServer(kind, { tmpDir: root });
        try {
          assert.equal(existsSync(dead), false, 'the dead server directory is gone');
          assert.equal(existsSync(alive), true, 'a live server directory stays');
          assert.equal(existsSync(otherHost), true, 'another host directory stays');
          assert.equal(existsSync(unrelated), true, 'a directory not named <host>-<pid> stays');
          const own = t.server.tmpDir;
          assert.match(own, new RegExp(`^${root}/${host}-${process.pid}-[0-9a-f]{8}$`));
          assert.equal(existsSync(own), true, 'the server has its own directory');

          await createAndPush(t, 'base');
          const before = await snapshot(t.store);
          await assertResponsive(t.url);
          assert.deepEqual(await snapshot(t.store), before);
          await assertCloneFsckClean(t, 'base');
          await t.server.close();
          assert.equal(existsSync(own), false, 'its own directory goes at shutdown');
        } finally {
          await t.close();
        }
      } finally {
        live.kill();
        scratch.remove();
      }
    });
  });
}

describe('the temp dir root', () => {
  it('refuses a symbolic link as the root: in a shared /tmp it could point anywhere', async () => {
    const scratch = tempDir('govc-tmpdirs-');
    try {
      mkdirSync(join(scratch.path, 'real'));
      symlinkSync(join(scratch.path, 'real'), join(scratch.path, 'link'));
      await assert.rejects(prepareTmpDir(join(scratch.path, 'link')), (e: Error) => e instanceof ConfigError && /server\.tmp_dir/.test(e.message));
    } finally {
      scratch.remove();
    }
  });

  it("removes a dead process's directory that had this pid, but never one of a server running in this process", async () => {
    const scratch = tempDir('govc-tmpdirs-');
    try {
      const stale = leftover(scratch.path, `${host}-${process.pid}-0badc0de`);
      const first = await prepareTmpDir(scratch.path);
      assert.deepEqual(first.removed, [`${host}-${process.pid}-0badc0de`]);
      assert.equal(existsSync(stale), false);
      const second = await prepareTmpDir(scratch.path);
      assert.deepEqual(second.removed, []);
      assert.notEqual(second.path, first.path);
      assert.equal(existsSync(first.path), true, 'the first server in this process keeps its directory');
      await first.release();
      await second.release();
      assert.equal(existsSync(first.path) || existsSync(second.path), false);
    } finally {
      scratch.remove();
    }
  });
});
