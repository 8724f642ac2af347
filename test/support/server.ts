/** For the tests that talk to `govc serve`: repository URLs, users and repositories made through the REST API, a small local repository, metrics samples. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gitOk } from '../../support/git.js';
import { api } from '../../support/govc.js';

/** `http://user:token@host:port/<name>.git` */
export function repoUrl(base: string, name: string, user?: string, token?: string): string {
  const u = new URL(`${base}/${name}.git`);
  if (user) {
    u.username = user;
    u.password = token ?? '';
  }
  return u.toString();
}

/** Creates a user through the REST API and returns its token. */
export async function createUser(base: string, adminToken: string, username: string, isAdmin = false): Promise<string> {
  const r = await api(base, 'POST', '/api/v1/users', { token: adminToken, body: { username, isAdmin } });
  if (r.status !== 201) throw new Error(`creating user ${username}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.token as string;
}

export async function createRepo(base: string, token: string, name: string, visibility: 'public' | 'private' = 'public'): Promise<void> {
  const r = await api(base, 'POST', '/api/v1/repositories', { token, body: { name, visibility } });
  if (r.status !== 201) throw new Error(`creating repository ${name}: ${r.status} ${JSON.stringify(r.body)}`);
}

/** A local repository with `n` commits on main, each touching one file. */
export async function makeRepo(dir: string, env: NodeJS.ProcessEnv, n = 3): Promise<void> {
  await gitOk(dir, env, ['init', '-q', '-b', 'main', '.']);
  for (let i = 0; i < n; i++) {
    writeFileSync(join(dir, `file${i % 2}.txt`), `line ${i}\n`);
    await gitOk(dir, env, ['add', '-A']);
    await gitOk(dir, env, ['commit', '-q', '-m', `commit ${i}`]);
  }
}

/**
 * A public repository `name` on the server whose main is `n` commits made in
 * a new local repository at `dir`, pushed by the administrator `admin`;
 * returns the repository's URL with the administrator's credentials.
 */
export async function pushedRepo(govc: { url: string; adminToken: string }, name: string, dir: string, env: NodeJS.ProcessEnv, n = 3): Promise<string> {
  await createRepo(govc.url, govc.adminToken, name);
  const url = repoUrl(govc.url, name, 'admin', govc.adminToken);
  mkdirSync(dir);
  await makeRepo(dir, env, n);
  await gitOk(dir, env, ['push', url, 'main']);
  return url;
}

/**
 * The value of one sample in Prometheus text: `name` with exactly `labels`
 * (in any order), or undefined when there is no such sample.
 */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1));
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]).sort(([a], [b]) => (a < b ? -1 : 1));
    if (JSON.stringify(got) === JSON.stringify(wanted)) return Number(m[3]);
  }
  return undefined;
}
