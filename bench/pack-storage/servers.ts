/**
 * The servers of bench/pack-storage.ts: `git daemon` (upload-pack, and
 * receive-pack for the push baselines), `git http-backend` behind a tiny
 * node CGI wrapper (as bench/clone-vs-git.ts runs it), and `govc serve` as a
 * child process. Loopback only.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGovc, type Govc } from '../../support/govc.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** `git http-backend` as CGI behind node:http: the reference smart HTTP server. */
export function httpBackend(projectRoot: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const child = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH,
        GIT_PROJECT_ROOT: projectRoot,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
        ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
        ...(req.headers['git-protocol'] ? { GIT_PROTOCOL: String(req.headers['git-protocol']) } : {}),
        REMOTE_ADDR: '127.0.0.1',
      },
    });
    req.pipe(child.stdin);
    child.stdin.on('error', () => undefined);
    let head = Buffer.alloc(0);
    let headerDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headerDone) {
        if (!res.write(chunk)) {
          child.stdout.pause();
          res.once('drain', () => child.stdout.resume());
        }
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      headerDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
        const colon = line.indexOf(':');
        const [k, v] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
        if (/^status$/i.test(k)) status = parseInt(v, 10);
        else res.setHeader(k, v);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    child.stdout.on('end', () => res.end());
    child.stderr.resume();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      }),
    ),
  );
}

export interface Daemon {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** `git daemon` on loopback over `root`, upload-pack and receive-pack enabled; resolves once it answers. */
export async function gitDaemon(root: string, env: NodeJS.ProcessEnv): Promise<Daemon> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'git',
    ['daemon', '--reuseaddr', '--export-all', '--enable=receive-pack', `--base-path=${root}`, `--port=${port}`, '--listen=127.0.0.1', root],
    { env, stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `git://127.0.0.1:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      execFile('git', ['ls-remote', `${url}/repo.git`], { env, timeout: 5000 }, (err) => resolve(!err));
    });
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`git daemon did not answer on ${url}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface GovcServer {
  url: string;
  token: string;
  pid: number;
  /** `http://bench:<token>@host:port/<name>.git` */
  repoUrl(name: string): string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * `govc serve --store <uri> --init-admin bench` (the admin exists already on a
 * restart: its token is kept from the first start). The clone pack cache is
 * off unless `packCache`: repeated clones in a bench measure the store and
 * the engine, not the cache's file. `workers` sets server.workers.threads
 * (absent: the server's default, one per core; 0: git on the main loop).
 */
export async function govcServe(store: string, cwd: string, token?: string, options: { packCache?: boolean; workers?: number } = {}): Promise<GovcServer> {
  const config = join(cwd, `govc-serve-${options.packCache ? 'cached' : 'uncached'}-workers-${options.workers ?? 'default'}.yaml`);
  const workers = options.workers !== undefined ? `, workers: {threads: ${options.workers}}` : '';
  writeFileSync(config, `server: {pack_cache: {enabled: ${options.packCache === true}}${workers}}\n`);
  const govc: Govc = await startGovc(['--store', store, '-c', config, '--init-admin', 'bench'], { cwd });
  const t = govc.adminToken || token;
  if (!t) {
    await govc.stop();
    throw new Error(`govc serve printed no admin token:\n${govc.output()}`);
  }
  return {
    url: govc.url,
    token: t,
    pid: govc.child.pid!,
    repoUrl(name: string) {
      const u = new URL(`${govc.url}/${name}.git`);
      u.username = 'bench';
      u.password = t;
      return u.toString();
    },
    output: govc.output,
    async stop() {
      const stopped = govc.stop('SIGTERM');
      const timer = setTimeout(() => govc.child.kill('SIGKILL'), 60_000);
      await stopped;
      clearTimeout(timer);
    },
  };
}
