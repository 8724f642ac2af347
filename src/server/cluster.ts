/**
 * `govc serve --processes N`: N server processes sharing one port through
 * node:cluster (the primary accepts and hands each connection to a process
 * in turn). Each process opens the store itself, so this is only for stores
 * that several processes can open at once; everything they share lives in
 * the store (refs are compare-and-swapped there), and the pack cache is files
 * in the shared tmp_dir. The primary opens the store once first (creating
 * its schema before the processes race to), then forks, restarts a process
 * that dies, and on SIGINT/SIGTERM stops them all gracefully.
 */
import cluster, { type Worker } from 'node:cluster';
import { ConfigError } from '../datastore/errors.js';
import { storeOpensTwice } from '../datastore/builtin.js';
import type { StoreConfig } from '../datastore/config.js';
import { parseCount } from './engine-pool/config.js';
import type { RunningServer } from './server.js';

const MAX_PROCESSES = 256;
/** A process that dies sooner than this after starting is restarted after a pause, not at once. */
const QUICK_DEATH_MS = 5000;
const RESTART_PAUSE_MS = 1000;

/** What a server process tells the primary once it listens. */
export interface ListeningMessage {
  type: 'govc-listening';
  url: string;
  ssh?: { url: string; fingerprint: string };
}

export function parseProcesses(value: string | number | undefined): number {
  return value === undefined ? 1 : parseCount(value, '--processes', 1, MAX_PROCESSES, 'server processes');
}

/** Refuses --processes for a store one process holds (memory, sqlite :memory:, rocksdb, lsm). */
export function checkProcessesStore(datastore: string | StoreConfig, processes: number): void {
  if (processes > 1 && !storeOpensTwice(datastore)) {
    throw new ConfigError(
      '--processes needs a store that several processes can open at once (sqlite file, postgres, cockroach, redis, lmdb, mongodb, scylla); ' +
        'this one keeps its data in one process or locks it to one: run a single process (git still runs in worker threads when the store allows, see --workers)',
      { key: '--processes' },
    );
  }
}

export const isServerProcess = (): boolean => cluster.isWorker;

/** In a server process: tells the primary where it listens. */
export function reportListening(server: RunningServer): void {
  const message: ListeningMessage = {
    type: 'govc-listening',
    url: server.url,
    ...(server.ssh ? { ssh: { url: server.ssh.url, fingerprint: server.ssh.hostKey.fingerprint } } : {}),
  };
  process.send?.(message);
}

/** In a server process, once it has closed: leaves the cluster so the process can exit. */
export function leaveCluster(): void {
  cluster.worker?.disconnect();
}

/**
 * The primary: forks `processes` server processes (the same command line),
 * calls `onListening` once all of them listen, restarts a process that dies,
 * and resolves once a signal has stopped them all.
 */
export async function runPrimary(processes: number, onListening: (message: ListeningMessage) => void, log: (line: string) => void): Promise<void> {
  let stopping = false;
  const listening = new Set<number>();
  let announced = false;
  const started = new Map<number, number>();
  const fork = () => {
    const worker = cluster.fork();
    started.set(worker.id, Date.now());
    worker.on('message', (m: ListeningMessage) => {
      if (m?.type !== 'govc-listening') return;
      listening.add(worker.id);
      if (!announced && listening.size >= processes) {
        announced = true;
        onListening(m);
      }
    });
  };
  const alive = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  return new Promise<void>((resolve) => {
    cluster.on('exit', (worker, code, signal) => {
      listening.delete(worker.id);
      if (stopping) {
        if (alive().length === 0) resolve();
        return;
      }
      const lived = Date.now() - (started.get(worker.id) ?? 0);
      log(`govc: server process ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
      if (lived < QUICK_DEATH_MS) setTimeout(() => !stopping && fork(), RESTART_PAUSE_MS);
      else fork();
    });
    const stop = (signal: NodeJS.Signals) => {
      process.stdout.write(`govc: ${signal}: stopping ${alive().length} server process(es)\n`);
      stopping = true;
      process.once(signal, () => process.exit(130));
      const running = alive();
      if (running.length === 0) return resolve();
      for (const w of running) w.process.kill('SIGTERM');
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
    for (let i = 0; i < processes; i++) fork();
  });
}
