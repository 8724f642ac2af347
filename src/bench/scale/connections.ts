/**
 * `govc serve` holding 10,000 concurrent connections: a server process (its
 * open-file limit raised to the hard limit by the shell that starts it) on a
 * fresh sqlite store; REST load and clones measured first alone, then with
 * the connections held (a tenth of them active, a request a second each, the
 * rest idle keep-alives).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createStore } from '../../datastore/builtin.js';
import { generateHistory } from '../suite/generate-history.js';
import { cannon, clones } from '../suite/load.js';
import type { BenchResult } from '../suite/result.js';
import { holdSockets } from './held-sockets.js';

const MAIN = fileURLToPath(new URL('../../cli/main.js', import.meta.url));
const LOAD_CONNECTIONS = 32;
const CLONES = 4;

/** This process's open-file limit (soft), from /proc; undefined where there is none. */
export function openFileLimit(pid: number | 'self' = 'self'): number | undefined {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function rssMiB(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

function startServe(config: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn('bash', ['-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$1" serve -c "$2"', process.execPath, MAIN, config], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /serving \S+ store on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (code) => reject(new Error(`govc serve exited ${code} before listening: ${out.trim()}`)));
  });
}

export async function scaleConnections(connections: number, seconds: number, log: (line: string) => void): Promise<BenchResult[]> {
  const limit = openFileLimit();
  if (limit !== undefined && limit < connections + 1000) {
    throw new RangeError(`holding ${connections} connections needs more open files than this process may have (ulimit -n is ${limit}); run with ulimit -n ${connections + 1000} or more, or pass --connections ${Math.max(1, limit - 1000)}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'govc-scale-conn-'));
  const uri = `sqlite://${join(dir, 'store.db')}`;
  const store = await createStore(uri);
  const name = 'scale-served';
  await generateHistory(store, name, 50);
  await store.close();
  const config = join(dir, 'govc.yaml');
  writeFileSync(config, [`datastore: {type: sqlite, connection: ${JSON.stringify(join(dir, 'store.db'))}}`, 'server:', '  port: 0', `  max_connections: ${connections + 2000}`, '  timeouts: {headers: 600s, idle: 600s, keep_alive: 600s}', ''].join('\n'));
  const { child, url } = await startServe(config);
  const rows: BenchResult[] = [];
  const goal = `${connections.toLocaleString('en-US')} concurrent connections while clones and REST calls keep working`;
  const base = (n: string, note: string) => ({ group: 'scale' as const, name: n, store: 'sqlite', targetMs: 10, note, goal });
  try {
    const serverLimit = openFileLimit(child.pid!);
    const rest = `${url}/api/v1/repositories/${name}`;
    log(`  server ${url}, its open-file limit ${serverLimit}; baseline load`);
    const restAlone = await cannon(base('scale_conn_rest_alone', `GET a repository, ${LOAD_CONNECTIONS} autocannon connections, ${seconds} s, nothing else open (the baseline)`), rest, LOAD_CONNECTIONS, seconds);
    const cloneAlone = await clones({ ...base('scale_conn_clone_alone', `git clone --bare of a 50-commit repository, ${CLONES} one after another, nothing else open`), targetMs: null }, `${url}/${name}.git`, 1, CLONES);
    rows.push(restAlone, cloneAlone);

    const u = new URL(url);
    const held = await holdSockets(u.hostname, Number(u.port), `/api/v1/repositories/${name}`, connections, (n) => n % 2000 < 200 && log(`  ${n} connections open`));
    log(`  holding ${held.opened} connections (${held.failed} failed); load with them held`);
    held.startActive(0.1, 1000);
    const restHeld = await cannon(base('scale_conn_rest_held', `the same REST load with ${held.opened} more connections held open (a tenth asking once a second, the rest idle)`), rest, LOAD_CONNECTIONS, seconds);
    const cloneHeld = await clones({ ...base('scale_conn_clone_held', `the same clones with the connections held`), targetMs: null }, `${url}/${name}.git`, 1, CLONES);
    const stillOpen = held.open();
    const activeAnswers = held.activeResponses();
    const serverRss = rssMiB(child.pid!);
    held.close();
    rows.push(restHeld, cloneHeld);
    const ok = held.opened >= connections && stillOpen >= connections && restHeld.errors === 0 && cloneHeld.errors === 0 && cloneHeld.count === CLONES;
    rows.push({
      ...base('scale_conn_held', `${held.opened} opened, ${held.failed} failed, ${stillOpen} still open after the load; the active tenth got ${activeAnswers} answers; server RSS ${serverRss ?? '?'} MiB, server open-file limit ${serverLimit}, client ${limit}`),
      targetMs: null,
      count: stillOpen,
      opsPerSec: null,
      p50Ms: null,
      p99Ms: null,
      workers: connections,
      holds: ok,
    });
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
