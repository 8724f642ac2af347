/**
 * `govc serve` as a child process, govc commands run to completion, and calls
 * to its REST API.
 *
 * support/ holds what test/ and bench/ both use (child-process git, govc
 * processes, database servers, generated repositories, ssh keys, hand-made
 * packs): benches are not tests and must not import from test/, and none of
 * this ships, so it is not in src/. Compiled with everything else (tsconfig).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

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

/** Runs a node script to completion; `env` replaces the environment when given; killed after `timeoutMs` (30 s). */
export function runNodeScript(script: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const { cwd, env, timeoutMs = 30000 } = options;
    execFile(process.execPath, [script, ...args], { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs govc (not serve) to completion. */
export function runGovc(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return runNodeScript(CLI, args, options);
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
