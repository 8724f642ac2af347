/**
 * What a push carries besides refs, with the real git on a PostgreSQL store:
 * push options (`git push -o`) land on the push's audit event, which change
 * subscribers receive; report-status-v2 is negotiated; a signed push is
 * refused in words git shows (this server keeps no keys to verify one), and
 * `--signed=if-asked` pushes unsigned. Refusals inside the protocol reach git
 * as text: an over-long push option, a fetch of an object not in the
 * repository.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { createStore } from '../../src/datastore/builtin.js';
import type { ChangeEvent } from '../../src/datastore/driver.js';
import type { DataStore } from '../../src/datastore/store.js';
import { api, startGovc, type Govc } from '../../support/govc.js';
import { createRepo, makeRepo, repoUrl } from '../support/server.js';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { tempDir } from '../../support/temp-dir.js';

const PG = 'postgres://postgres@127.0.0.1:5432/test';

describe('push options, report-status-v2, signed pushes (PostgreSQL store)', () => {
  const schema = `govc_push_${process.pid}`;
  const uri = `${PG}?schema=${schema}`;
  const tmp = tempDir('govc-push-features-');
  const env = gitEnv(tmp.path);
  const src = join(tmp.path, 'src');
  let govc: Govc;
  let client: pg.Client;
  let watcher: DataStore;
  let unsubscribe: () => Promise<void>;
  const changes: ChangeEvent[] = [];
  let url: string;

  before(async () => {
    execFileSync('bash', [new URL('../../../scripts/ensure-postgres.sh', import.meta.url).pathname], { stdio: 'inherit' });
    client = new pg.Client({ connectionString: PG });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.query(`CREATE SCHEMA ${schema}`);
    govc = await startGovc(['--store', uri, '--init-admin', 'admin']);
    watcher = await createStore(uri);
    unsubscribe = await watcher.subscribe((c) => changes.push(c));
    await createRepo(govc.url, govc.adminToken, 'opts');
    url = repoUrl(govc.url, 'opts', 'admin', govc.adminToken);
    await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'src']);
    await makeRepo(src, env, 2);
  });
  after(async () => {
    await unsubscribe?.();
    await watcher?.close();
    await govc?.stop();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    tmp.remove();
  });

  it('records push options on the audit event, hands them to subscribers, and negotiates report-status-v2', async () => {
    const trace = join(tmp.path, 'trace');
    await gitOk(src, { ...env, GIT_TRACE_PACKET: trace }, ['push', '-q', '-o', 'ci.skip', '-o', 'note=hello world', url, 'main']);
    assert.match(execFileSync('cat', [trace], { encoding: 'utf8' }), /git> \S+ \S+ refs\/heads\/main\\0.*report-status-v2.*push-options/);
    // The audit event is written once git has its answer: wait for it.
    let events = { body: { items: [] as any[] } };
    for (let i = 0; i < 50 && events.body.items.length === 0; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      events = await api(govc.url, 'GET', '/api/v1/events?action=git.push&repository=opts&limit=10', { token: govc.adminToken });
    }
    assert.deepEqual(events.body.items[0].details.pushOptions, ['ci.skip', 'note=hello world']);
    for (let i = 0; i < 50 && !changes.some((c) => c.kind === 'audit' && c.event.action === 'git.push'); i++) await new Promise((r) => setTimeout(r, 100));
    const seen = changes.find((c) => c.kind === 'audit' && c.event.action === 'git.push');
    assert.ok(seen && seen.kind === 'audit', 'a subscriber saw the push');
    assert.deepEqual(seen.event.details.pushOptions, ['ci.skip', 'note=hello world']);
  });

  it('refuses a signed push in words git shows; --signed=if-asked pushes unsigned', async () => {
    writeFileSync(join(src, 'signed.txt'), 'signed?\n');
    await gitOk(src, env, ['add', '-A']);
    await gitOk(src, env, ['commit', '-q', '-m', 'signed?']);
    const signed = await git(src, env, ['push', '--signed', url, 'main']);
    assert.notEqual(signed.code, 0);
    assert.match(signed.stderr, /the receiving end does not support --signed push/);
    await gitOk(src, env, ['push', '-q', '--signed=if-asked', url, 'main']);
  });

  it('answers refusals inside the protocol: an over-long push option, a want of another repository', async () => {
    const long = await git(src, env, ['push', '-o', `x=${'y'.repeat(5000)}`, url, 'main:refs/heads/long']);
    assert.notEqual(long.code, 0);
    assert.match(long.stderr, /a push option of 5002 bytes is over this server's limit of 4096/);

    await createRepo(govc.url, govc.adminToken, 'other');
    const other = join(tmp.path, 'other');
    await gitOk(tmp.path, env, ['init', '-q', '-b', 'main', 'other']);
    await makeRepo(other, env, 1);
    writeFileSync(join(other, 'secret.txt'), 'only in other\n');
    await gitOk(other, env, ['add', '-A']);
    await gitOk(other, env, ['commit', '-q', '-m', 'secret']);
    await gitOk(other, env, ['push', '-q', repoUrl(govc.url, 'other', 'admin', govc.adminToken), 'main']);
    const secret = (await gitOk(other, env, ['rev-parse', 'HEAD'])).trim();
    for (const version of ['0', '2']) {
      const r = await git(src, env, ['-c', `protocol.version=${version}`, '-c', 'uploadpack.allowAnySHA1InWant=true', 'fetch', url, secret]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`remote error: upload-pack: not our ref ${secret}`), `v${version}: ${r.stderr}`);
    }
  });
});
