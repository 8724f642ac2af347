/**
 * Throwaway Redis servers for tests, started from `redis-server` on loopback
 * in temp dirs: one standalone server, or a 6-node cluster (3 masters, 3
 * replicas). Every server started here is killed when its stop() runs, and
 * on process exit as a last resort. scripts/ensure-redis.sh installs redis.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server';
const REDIS_CLI = process.env.REDIS_CLI ?? 'redis-cli';
const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** True when a TCP port on 127.0.0.1 can be bound. */
function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** `count` free ports whose cluster bus ports (+10000) are free too. */
async function freePorts(count: number): Promise<number[]> {
  const ports: number[] = [];
  for (let guard = 0; ports.length < count && guard < 1000; guard++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    if (ports.includes(base)) continue;
    if ((await portFree(base)) && (await portFree(base + 10000))) ports.push(base);
  }
  if (ports.length < count) throw new Error('no free loopback ports for redis');
  return ports;
}

export interface RedisNode {
  port: number;
  /** The running server process (replaced by restart()). */
  process: ChildProcess;
  /** Kills the server (SIGKILL by default), as a crash would. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the server again with the same port, directory and arguments (it recovers from its AOF). */
  restart(): Promise<void>;
}

async function waitForPing(port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis on port ${port} did not answer: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
}

let checked = false;

function spawnServer(args: string[]): ChildProcess {
  if (!checked) {
    const probe = spawnSync(REDIS_SERVER, ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) throw new Error(`cannot run ${REDIS_SERVER} (${probe.error?.message ?? probe.stderr}); run scripts/ensure-redis.sh to install it`);
    checked = true;
  }
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

function startNode(port: number, dir: string, extra: string[]): RedisNode {
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--daemonize', 'no',
    '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--protected-mode', 'no', '--loglevel', 'warning',
    ...extra,
  ];
  const node: RedisNode = {
    port,
    process: spawnServer(args),
    kill: (signal = 'SIGKILL') =>
      new Promise((resolve) => {
        const child = node.process;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
    async restart() {
      await node.kill();
      node.process = spawnServer(args);
      await waitForPing(port);
    },
  };
  return node;
}

export interface StandaloneRedis {
  url: string;
  port: number;
  node: RedisNode;
  stop(): Promise<void>;
}

/** A standalone server with AOF (fsync always) in a temp dir. `extra` adds redis-server arguments. */
export async function startStandaloneRedis(extra: string[] = []): Promise<StandaloneRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'govc-redis-'));
  const [port] = await freePorts(1);
  const node = startNode(port, dir, extra);
  await waitForPing(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    node,
    async stop() {
      await node.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisClusterServers {
  /** A seed node URL; the client discovers the rest. */
  url: string;
  nodes: RedisNode[];
  /** The node serving `key`'s slot as master now. */
  masterFor(key: string): Promise<RedisNode>;
  /** The replica of a master. */
  replicaOf(master: RedisNode): Promise<RedisNode>;
  /** Resolves when every node is up, the cluster is ok and every master has an online replica. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Every node sees the cluster as ok, and every master has a replica online (else WAIT 1 would time out). */
async function clusterOk(ports: number[]): Promise<boolean> {
  let masters = 0;
  for (const port of ports) {
    const info = spawnSync(REDIS_CLI, ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' });
    if (!/cluster_state:ok/.test(info.stdout ?? '')) return false;
    const replication = spawnSync(REDIS_CLI, ['-p', String(port), 'info', 'replication'], { encoding: 'utf8' }).stdout ?? '';
    if (/role:master/.test(replication)) {
      masters++;
      if (!/slave0:.*state=online/.test(replication)) return false;
    } else if (!/master_link_status:up/.test(replication)) return false;
  }
  return masters === 3;
}

/** Six nodes on loopback, 3 masters with one replica each; failover after cluster-node-timeout 4000 ms (2000 made a master busy with a 64 MiB write on a loaded machine look dead). */
export async function startRedisCluster(): Promise<RedisClusterServers> {
  const dir = mkdtempSync(join(tmpdir(), 'govc-redis-cluster-'));
  const ports = await freePorts(6);
  const nodes = ports.map((port) => {
    const nodeDir = join(dir, String(port));
    spawnSync('mkdir', ['-p', nodeDir]);
    return startNode(port, nodeDir, [
      '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '4000',
      '--cluster-require-full-coverage', 'no', '--cluster-replica-validity-factor', '0',
    ]);
  });
  const waitHealthy = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await clusterOk(ports))) {
      if (Date.now() > deadline) throw new Error(`redis cluster did not become healthy within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  const cli = (port: number, ...args: string[]) => spawnSync(REDIS_CLI, ['-p', String(port), ...args], { encoding: 'utf8' }).stdout ?? '';
  const alive = () => nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.kill('SIGKILL')));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(ports.map((p) => waitForPing(p)));
    const create = spawnSync(
      REDIS_CLI,
      ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '1', '--cluster-yes'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}\n${create.stderr}`);
    await waitHealthy();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis://127.0.0.1:${ports[0]}`,
    nodes,
    async masterFor(key: string) {
      const live = alive();
      const slot = Number(cli(live[0].port, 'cluster', 'keyslot', key).trim());
      // `cluster nodes`: id addr@bus flags master-id ping pong epoch state slot-ranges...
      for (const line of cli(live[0].port, 'cluster', 'nodes').split('\n')) {
        const f = line.split(' ');
        if (f.length < 9 || !f[2].includes('master') || f[2].includes('fail')) continue;
        if (!f.slice(8).some((range) => inRange(range, slot))) continue;
        const node = live.find((n) => n.port === portOf(f[1]));
        if (node) return node;
      }
      throw new Error(`no live master serves slot ${slot} of ${key}`);
    },
    async replicaOf(master: RedisNode) {
      const lines = cli(master.port, 'cluster', 'nodes').split('\n').map((l) => l.split(' '));
      const id = lines.find((f) => f[2]?.includes('myself'))?.[0];
      const replica = lines.find((f) => f[2]?.includes('slave') && f[3] === id);
      const node = replica && nodes.find((n) => n.port === portOf(replica[1]));
      if (!node) throw new Error(`master on port ${master.port} has no replica`);
      return node;
    },
    waitHealthy,
    stop,
  };
}

function portOf(address: string): number {
  return Number(address.split('@')[0].split(':').pop());
}

function inRange(range: string, slot: number): boolean {
  if (range.startsWith('[')) return false;
  const [a, b] = range.split('-').map(Number);
  return slot >= a && slot <= (b ?? a);
}
