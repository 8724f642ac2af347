/**
 * Throwaway FerretDB servers for tests and benches: the binary that
 * scripts/ferretdb/build.sh builds (cached under .cache/ferretdb, built on
 * first use), each instance on its own free loopback port (the server binds
 * port 0 and prints its URI) over its own PostgreSQL database on the test
 * server at 127.0.0.1:5432 (scripts/ensure-postgres.sh). stop() kills the
 * server and drops its database; exit kills any left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PG_URL = process.env.GOVC_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
const live = new Set<ChildProcess>();
let binary: string | undefined;
let serial = 0;

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** The FerretDB binary's path, building it the first time (about 75 s cold). */
export function ferretdbBinary(): string {
  if (binary) return binary;
  const built = spawnSync('bash', [`${ROOT}/scripts/ferretdb/build.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 600_000 });
  if (built.status !== 0) throw new Error(`building FerretDB failed (status ${built.status}): run bash scripts/ferretdb/build.sh to see why`);
  binary = built.stdout.trim().split('\n').pop()!;
  return binary;
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: `${PG_URL}/postgres` });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface FerretDBServer {
  /** mongodb://127.0.0.1:<port>/ */
  url: string;
  port: number;
  /** The PostgreSQL database behind it. */
  database: string;
  process: ChildProcess;
  /** Kills the server (SIGKILL by default, as a crash would) and drops its database. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export interface FerretDBOptions {
  /** Serve TLS with this certificate and key (PEM files), instead of plain TCP. */
  tls?: { cert: string; key: string; ca?: string };
}

/** Starts a FerretDB server on a free loopback port over a fresh PostgreSQL database. */
export async function startFerretDB(options: FerretDBOptions = {}): Promise<FerretDBServer> {
  const bin = ferretdbBinary();
  const database = `ferretdb_${process.pid}_${++serial}_${Date.now().toString(36)}`;
  await admin(async (c) => {
    await c.query(`CREATE DATABASE ${database}`);
    // A throwaway database: commits need not wait for the disk (the shared test server is busy).
    await c.query(`ALTER DATABASE ${database} SET synchronous_commit = off`);
  });
  const args = ['-postgresql-url', `${PG_URL}/${database}`, '-log-level', 'error'];
  if (options.tls) {
    args.push('-tls-listen', '127.0.0.1:0', '-tls-cert', options.tls.cert, '-tls-key', options.tls.key);
    if (options.tls.ca) args.push('-tls-ca', options.tls.ca);
  } else args.push('-listen', '127.0.0.1:0');
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`FerretDB did not start within 20 s: ${stderr}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n')[0];
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(line.trim());
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`FerretDB exited (${code}) before listening: ${stderr}`));
    });
  });
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    database,
    process: child,
    async stop(signal = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) {
        await new Promise((r) => {
          child.once('exit', r);
          child.kill(signal);
        });
      }
      await admin((c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
    },
  };
}
