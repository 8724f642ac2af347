/** Shared by the server tests: start `govc serve` as a child process, run the real git, call the REST API. */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export interface Govc {
  url: string;
  /** The administrator's token printed by --init-admin (when asked). */
  adminToken: string;
  child: ChildProcess;
  output: () => string;
  /** Resolves with the exit code once the process exits by itself. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `govc serve --port 0` and waits for its "serving" line. */
export async function startGovc(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Govc> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`govc serve did not start within 20 s:\n${out}`)), 20000);
    const check = () => {
      const m = /serving \S+ store on (http:\/\/\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`govc serve exited with ${code}:\n${out}`));
    });
  });
  const token = /token \(shown once, keep it\): (govc_\S+)/.exec(out)?.[1] ?? '';
  return {
    url,
    adminToken: token,
    child,
    output: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** Runs govc (not serve) to completion. */
export function runGovc(args: string[], options: { cwd?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: options.cwd, timeout: 30000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

export function tempDir(prefix = 'govc-serve-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** An environment where git reads no user or system config and never prompts. */
export function gitEnv(home: string): NodeJS.ProcessEnv {
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');
  return {
    PATH: process.env.PATH,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LANG: 'C',
  };
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function git(cwd: string, env: NodeJS.ProcessEnv, args: string[], input?: string | Buffer): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = execFile('git', args, { cwd, env, maxBuffer: 256 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Like git() but throws with git's stderr when it fails. */
export async function gitOk(cwd: string, env: NodeJS.ProcessEnv, args: string[], input?: string | Buffer): Promise<string> {
  const r = await git(cwd, env, args, input);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

/** `http://user:token@host:port/<name>.git` */
export function repoUrl(base: string, name: string, user?: string, token?: string): string {
  const u = new URL(`${base}/${name}.git`);
  if (user) {
    u.username = user;
    u.password = token ?? '';
  }
  return u.toString();
}

export async function api(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON (metrics, git) */
  }
  return { status: res.status, body, headers: res.headers };
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
