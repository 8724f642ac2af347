/**
 * Two `govc serve` processes on one PostgreSQL store take concurrent pushes
 * to one branch of one repository: every push either lands or is refused
 * and retried, and no accepted commit is ever lost. Then `govc serve
 * --processes 3` (node:cluster, one port): what is pushed through one
 * process is cloned from the others, of pushers racing to one ref exactly one
 * wins, a killed process is replaced; a store one process holds is refused.
 * Their SSH server too, on a port the system picked (port 0): one port for all.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createRepo, makeRepo, repoUrl } from '../support/server.js';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { runGovc, startGovc, type Govc } from '../../support/govc.js';
import { addKey, makeKey, sshEnv, startGovcWithSsh, type GovcWithSsh } from '../../support/ssh.js';
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
    client = await postgresClient();
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

/** The pids of a primary's server processes (its children running `serve`). */
/** A client of the test PostgreSQL, started first when it is not running. */
async function postgresClient(): Promise<pg.Client> {
  execFileSync('bash', [new URL('../../../scripts/ensure-postgres.sh', import.meta.url).pathname], { stdio: 'inherit' });
  const client = new pg.Client({ connectionString: PG });
  await client.connect();
  return client;
}

/** A process's command line; empty once it has exited (between `ps` listing it and this read). */
function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

function serverProcesses(primary: number): number[] {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(primary)], { encoding: 'utf8' });
  return out.split('\n').map((l) => Number(l.trim())).filter((pid) => pid > 0 && commandLine(pid).includes('serve'));
}

describe('govc serve --processes on one PostgreSQL store', () => {
  const schema = `govc_processes_${process.pid}_${Date.now()}`;
  const tmp = tempDir();
  const env = gitEnv(tmp.path);
  let govc: GovcWithSsh;
  let client: pg.Client;

  before(async () => {
    client = await postgresClient();
    // The three processes start at once and agree on one host key, made by whichever writes it first.
    govc = await startGovcWithSsh(tmp.path, ['--store', `${PG}?schema=${schema}`, '--processes', '3', '--workers', '1', '--init-admin', 'admin']);
  });
  after(async () => {
    if (govc) assert.equal(await govc.stop(), 0, govc.output());
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    tmp.remove();
  });

  it('runs the processes on one port; each push is seen by the clones that follow, whichever process answers', { timeout: 120_000 }, async () => {
    assert.match(govc.output(), /\(3 processes\)/);
    assert.equal(serverProcesses(govc.child.pid!).length, 3);
    await createRepo(govc.url, govc.adminToken, 'spread');
    const url = repoUrl(govc.url, 'spread', 'admin', govc.adminToken);
    const src = join(tmp.path, 'src');
    await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'src']);
    await makeRepo(src, env, 1);
    // Connections go to the processes in turn: pushes and clones land on different ones.
    for (let i = 0; i < 6; i++) {
      writeFileSync(join(src, 'round.txt'), `round ${i}\n`);
      await gitOk(src, env, ['add', '-A']);
      await gitOk(src, env, ['commit', '-q', '-m', `round ${i}`]);
      await gitOk(src, env, ['push', '-q', url, 'main']);
      const check = join(tmp.path, `round-${i}`);
      await gitOk(tmp.path, env, ['clone', '-q', '--bare', url, check]);
      assert.equal(await gitOk(check, env, ['rev-parse', 'main']), await gitOk(src, env, ['rev-parse', 'main']));
    }
  });

  it('serves SSH from every process on the one port the system picked', { timeout: 120_000 }, async () => {
    // One listening socket, the primary's: node:cluster hands each connection to a process in turn.
    const listeners = execFileSync('ss', ['-ltnpH', `sport = :${govc.sshPort}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    assert.equal(listeners.length, 1, listeners.join('\n'));
    assert.match(listeners[0], new RegExp(`pid=${govc.child.pid},`));
    const key = await makeKey(tmp.path, 'admin_key');
    assert.equal((await addKey(govc.url, govc.adminToken, 'admin', key.publicKey)).status, 201);
    const sshGit = sshEnv(env, tmp.path, govc, key.path);
    const src = join(tmp.path, 'src');
    // Six connections, two to each process: each push is seen over HTTP, whichever process took it.
    for (let i = 0; i < 6; i++) {
      writeFileSync(join(src, 'ssh.txt'), `ssh ${i}\n`);
      await gitOk(src, env, ['add', '-A']);
      await gitOk(src, env, ['commit', '-q', '-m', `ssh ${i}`]);
      await gitOk(src, sshGit, ['push', '-q', `${govc.sshUrl}/spread.git`, 'main']);
      const seen = await gitOk(tmp.path, env, ['ls-remote', repoUrl(govc.url, 'spread', 'admin', govc.adminToken), 'refs/heads/main']);
      assert.equal(seen.split('\t')[0], (await gitOk(src, env, ['rev-parse', 'main'])).trim());
    }
    await gitOk(tmp.path, sshGit, ['clone', '-q', '--bare', `${govc.sshUrl}/spread.git`, 'over-ssh']);
    await gitOk(join(tmp.path, 'over-ssh'), env, ['fsck', '--full']);
  });

  it('lets exactly one of the pushers racing to one ref win', { timeout: 120_000 }, async () => {
    const url = repoUrl(govc.url, 'spread', 'admin', govc.adminToken);
    const racers = await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const dir = join(tmp.path, `racer-${i}`);
        await gitOk(tmp.path, env, ['clone', '-q', url, dir]);
        writeFileSync(join(dir, `racer-${i}.txt`), `racer ${i}\n`);
        await gitOk(dir, env, ['add', '-A']);
        await gitOk(dir, env, ['commit', '-q', '-m', `racer ${i}`]);
        return dir;
      }),
    );
    const results = await Promise.all(racers.map((dir) => git(dir, env, ['push', url, 'HEAD:refs/heads/main'])));
    const won = results.filter((r) => r.code === 0);
    assert.equal(won.length, 1, results.map((r) => r.stderr).join('\n---\n'));
    for (const r of results.filter((x) => x.code !== 0)) assert.match(r.stderr, /rejected|failed to lock|stale info|fetch first|failed to update/, r.stderr);
    const winner = racers[results.indexOf(won[0])];
    assert.equal((await gitOk(tmp.path, env, ['ls-remote', url, 'refs/heads/main'])).split('\t')[0], (await gitOk(winner, env, ['rev-parse', 'HEAD'])).trim());
  });

  it('replaces a server process that dies', { timeout: 60_000 }, async () => {
    // None died on its own in the tests before (racing pushers included).
    assert.doesNotMatch(govc.output(), /server process \d+ exited/);
    const before = serverProcesses(govc.child.pid!);
    process.kill(before[0], 'SIGKILL');
    const deadline = Date.now() + 30_000;
    let now = serverProcesses(govc.child.pid!);
    while (!(now.length === 3 && !now.includes(before[0]))) {
      if (Date.now() > deadline) throw new Error(`no replacement: ${now.join(', ')}\n${govc.output()}`);
      await new Promise((r) => setTimeout(r, 100));
      now = serverProcesses(govc.child.pid!);
    }
    assert.match(govc.output(), new RegExp(`server process ${before[0]} exited \\(SIGKILL\\); starting another`));
    // Every process answers again (a few rounds of new connections reach each).
    for (let i = 0; i < 6; i++) await gitOk(tmp.path, env, ['ls-remote', repoUrl(govc.url, 'spread', 'admin', govc.adminToken)]);
  });

  it('refuses --processes for a store one process holds', async () => {
    const r = await runGovc(['serve', '--store', 'memory://', '--processes', '2', '--port', '0']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /--processes needs a store that several processes can open at once/);
  });
});
