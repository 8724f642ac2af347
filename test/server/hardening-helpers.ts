/**
 * Shared by the hardening tests: an in-process server on a memory or SQLite
 * store, a snapshot of everything a store holds (to show a refusal changed
 * nothing), a "still answering" probe, and a fresh clone checked by fsck.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createStore } from '../../src/datastore/builtin.js';
import type { DataStore } from '../../src/datastore/store.js';
import { DEFAULTS, type ServerConfig } from '../../src/server/config.js';
import { initAdmin } from '../../src/server/init-admin.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { git, gitEnv, gitOk } from '../../support/git.js';
import { makeRepo, repoUrl } from '../support/server.js';
import { tempDir } from '../../support/temp-dir.js';

export const STORES = ['memory', 'sqlite'] as const;
export type StoreKind = (typeof STORES)[number];

export interface TestServer {
  server: RunningServer;
  store: DataStore;
  url: string;
  adminToken: string;
  /** A scratch directory, removed by close(). */
  dir: string;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/** Starts a server in this process on a fresh store of `kind`, with an administrator `admin`. */
export async function startTestServer(kind: StoreKind, config: Partial<ServerConfig> = {}): Promise<TestServer> {
  const scratch = tempDir('govc-hardening-');
  const store = await createStore(kind === 'memory' ? 'memory://' : `sqlite://${join(scratch.path, 'govc.db')}`);
  const { token } = await initAdmin(store, 'admin');
  const server = await startServer(
    { ...DEFAULTS, tmpDir: join(scratch.path, 'tmp'), ...config, datastore: 'memory://', port: 0 },
    { store, log: () => undefined },
  );
  return {
    server,
    store,
    url: server.url,
    adminToken: token!,
    dir: scratch.path,
    env: gitEnv(scratch.path),
    async close() {
      await server.close();
      await store.close();
      scratch.remove();
    },
  };
}

export interface StoreSnapshot {
  repositories: string[];
  refs: Record<string, string[]>;
  objects: number;
  users: string[];
  config: string[];
  events: number;
}

/** Everything a store holds, in a comparable form. */
export async function snapshot(store: DataStore): Promise<StoreSnapshot> {
  const repositories: string[] = [];
  const refs: Record<string, string[]> = {};
  for (const repo of (await store.listRepositories({ limit: 1000 })).items) {
    repositories.push(`${repo.name} ${repo.id} ${repo.visibility} ${repo.description} ${JSON.stringify(repo.metadata)}`);
    refs[repo.name] = [];
    for await (const ref of store.listRefs(repo.id)) refs[repo.name].push(`${ref.name} ${ref.type} ${ref.target}`);
  }
  let objects = 0;
  for await (const _ of store.listObjects()) objects++;
  const users = (await store.listUsers({ limit: 1000 })).items.map((u) => `${u.username} ${u.email} ${u.isAdmin}`);
  const config: string[] = [];
  for await (const [key, value] of store.listConfig('')) config.push(`${key}=${value}`);
  return { repositories, refs, objects, users, config, events: await store.countEvents() };
}

/** Asserts that another request is answered within a second. */
export async function assertResponsive(url: string): Promise<void> {
  const started = performance.now();
  const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(1000) });
  assert.equal(res.status, 200);
  await res.text();
  assert.ok(performance.now() - started < 1000, 'health answered within a second');
}

/** Runs `bad` and, while it runs, checks the server still answers others. Returns bad's result. */
export async function whileResponsive<T>(url: string, bad: () => Promise<T>): Promise<T> {
  const running = bad();
  await assertResponsive(url);
  return running;
}

/** Creates repository `name` owned by the admin and pushes `commits` commits to its main. */
export async function createAndPush(t: TestServer, name: string, commits = 2): Promise<string> {
  const created = await fetch(`${t.url}/api/v1/repositories`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  assert.equal(created.status, 201, await created.text());
  const work = join(t.dir, `work-${name}`);
  mkdirSync(work);
  await makeRepo(work, t.env, commits);
  await gitOk(work, t.env, ['push', '-q', repoUrl(t.url, name, 'admin', t.adminToken), 'main']);
  return work;
}

/** Clones `name` into a new directory and checks it with `git fsck --full --strict`. */
export async function assertCloneFsckClean(t: TestServer, name: string): Promise<void> {
  const dir = join(t.dir, `clone-${name}-${Date.now()}-${Math.random().toString(16).slice(2)}`);
  await gitOk(t.dir, t.env, ['clone', '-q', repoUrl(t.url, name, 'admin', t.adminToken), dir]);
  const fsck = await git(dir, t.env, ['fsck', '--full', '--strict']);
  assert.equal(fsck.code, 0, fsck.stderr);
}
