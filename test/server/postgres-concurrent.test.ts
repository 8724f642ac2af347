/**
 * Two `govc serve` processes on one PostgreSQL store take concurrent pushes
 * to one branch of one repository: every push either lands or is refused
 * and retried, and no accepted commit is ever lost.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createRepo, makeRepo, repoUrl } from '../support/server.js';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { startGovc, type Govc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';

const PG = 'postgres://postgres@127.0.0.1:5432/test';
const CLIENTS = 8;

describe('govc serve: two processes on one PostgreSQL store', () => {
  const schema = `govc_serve_${process.pid}_${Date.now()}`;
  const store = `${PG}?schema=${schema}`;
  const tmp = tempDir();
  const env = gitEnv(tmp.path);
  let a: Govc;
  let b: Govc;
  let client: pg.Client;

  before(async () => {
    execFileSync('bash', [new URL('../../../scripts/ensure-postgres.sh', import.meta.url).pathname], { stdio: 'inherit' });
    client = new pg.Client({ connectionString: PG });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    a = await startGovc(['--store', store, '--init-admin', 'admin']);
    b = await startGovc(['--store', store]);
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    tmp.remove();
  });

  it('loses no update under concurrent pushes through both servers', { timeout: 180_000 }, async () => {
    await createRepo(a.url, a.adminToken, 'shared');
    const urls = [repoUrl(a.url, 'shared', 'admin', a.adminToken), repoUrl(b.url, 'shared', 'admin', a.adminToken)];
    const seed = join(tmp.path, 'seed');
    await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'seed']);
    await makeRepo(seed, env, 1);
    await gitOk(seed, env, ['push', urls[0], 'main']);

    // Each client clones through one server and pushes through the other.
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, async (_, i) => {
        const dir = join(tmp.path, `c${i}`);
        await gitOk(tmp.path, env, ['clone', '-q', urls[i % 2], dir]);
        writeFileSync(join(dir, `client-${i}.txt`), `client ${i}\n`);
        await gitOk(dir, env, ['add', '-A']);
        await gitOk(dir, env, ['commit', '-q', '-m', `client ${i}`]);
        return { dir, url: urls[(i + 1) % 2], subject: `client ${i}` };
      }),
    );
    let refused = 0;
    await Promise.all(
      clients.map(async (c) => {
        for (let attempt = 0; attempt < 40; attempt++) {
          const r = await git(c.dir, env, ['push', c.url, 'HEAD:refs/heads/main']);
          if (r.code === 0) return;
          refused++;
          assert.match(r.stderr, /rejected|failed to lock|stale info|fetch first/, r.stderr);
          await gitOk(c.dir, env, ['pull', '-q', '--rebase', c.url, 'main']);
        }
        throw new Error(`${c.subject}: never pushed`);
      }),
    );
    // Every client's commit is in main's history, whichever server is asked.
    for (const url of urls) {
      const check = join(tmp.path, `check-${urls.indexOf(url)}`);
      await gitOk(tmp.path, env, ['clone', '-q', url, check]);
      const subjects = (await gitOk(check, env, ['log', '--format=%s', 'main'])).split('\n');
      for (const c of clients) assert.ok(subjects.includes(c.subject), `${c.subject} was lost: ${subjects.join(', ')}`);
      await gitOk(check, env, ['fsck', '--full']);
    }
    assert.ok(refused > 0, 'the pushes really raced (some had to retry)');
  });

  it('takes concurrent pushes to different branches, all of them', { timeout: 120_000 }, async () => {
    const urls = [repoUrl(a.url, 'shared', 'admin', a.adminToken), repoUrl(b.url, 'shared', 'admin', a.adminToken)];
    const dir = join(tmp.path, 'c0');
    const results = await Promise.all(Array.from({ length: CLIENTS }, (_, i) => git(dir, env, ['push', urls[i % 2], `HEAD:refs/heads/branch-${i}`])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const ls = await gitOk(dir, env, ['ls-remote', urls[1]]);
    for (let i = 0; i < CLIENTS; i++) assert.match(ls, new RegExp(`refs/heads/branch-${i}\\n`));
  });
});
