/**
 * Throwaway Apache Cassandra nodes for tests (the CQL server standing in for
 * ScyllaDB): a single node, or a cluster on 127.0.0.1, 127.0.0.2, 127.0.0.3,
 * each a JVM started from the jars scripts/cassandra/fetch.sh puts in
 * .cache/cassandra/, with a minimal cassandra.yaml in a temp dir, a small heap
 * and the fast-startup settings. Every node started here is killed by stop(),
 * and on process exit as a last resort.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const live = new Set<ChildProcess>();

process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Java 17 needs these for Cassandra 5.0 (its conf/jvm17-server.options). */
const JVM_MODULE_FLAGS = [
  ...['java.base/jdk.internal.misc', 'java.base/jdk.internal.ref', 'java.base/sun.nio.ch', 'java.management.rmi/com.sun.jmx.remote.internal.rmi',
    'java.rmi/sun.rmi.registry', 'java.rmi/sun.rmi.server', 'java.sql/java.sql', 'java.base/java.lang.ref', 'jdk.unsupported/sun.misc'].flatMap((m) => ['--add-exports', `${m}=ALL-UNNAMED`]),
  ...['java.base/java.lang.module', 'java.base/jdk.internal.loader', 'java.base/jdk.internal.ref', 'java.base/jdk.internal.reflect', 'java.base/jdk.internal.math',
    'java.base/jdk.internal.module', 'java.base/jdk.internal.util.jar', 'jdk.management/com.sun.management.internal', 'java.base/sun.nio.ch', 'java.base/java.io',
    'java.base/java.nio', 'java.base/java.util.concurrent', 'java.base/java.util', 'java.base/java.util.concurrent.atomic', 'java.base/java.lang',
    'java.base/java.math', 'java.base/java.lang.reflect', 'java.base/java.net'].flatMap((m) => ['--add-opens', `${m}=ALL-UNNAMED`]),
];

/** The jar folder fetched by scripts/cassandra/fetch.sh; fetches it when missing. */
function cassandraLib(): string {
  const cache = join(ROOT, '.cache', 'cassandra');
  const ready = () => (existsSync(cache) ? readdirSync(cache).filter((v) => existsSync(join(cache, v, 'complete'))) : []);
  if (ready().length === 0) {
    const fetched = spawnSync('bash', [join(ROOT, 'scripts/cassandra/fetch.sh')], { stdio: 'inherit' });
    if (fetched.status !== 0) throw new Error('could not fetch Apache Cassandra; run scripts/cassandra/fetch.sh and read its output');
  }
  const version = ready().sort().pop();
  if (!version) throw new Error('no complete Cassandra in .cache/cassandra; run scripts/cassandra/fetch.sh');
  return join(cache, version, 'lib');
}

function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const server = createServer();
    server.once('error', () => done(false));
    server.listen(port, host, () => server.close(() => done(true)));
  });
}

/** Two ports (storage, native) free on every one of `hosts`. */
async function freePorts(hosts: string[]): Promise<{ storage: number; native: number }> {
  for (let guard = 0; guard < 500; guard++) {
    const storage = 20000 + Math.floor(Math.random() * 30000);
    const native = storage + 1;
    let ok = true;
    for (const h of hosts) ok = ok && (await portFree(storage, h)) && (await portFree(native, h));
    if (ok) return { storage, native };
  }
  throw new Error(`no free ports on ${hosts.join(', ')} for cassandra`);
}

export interface CassandraNode {
  address: string;
  /** The CQL port (the same on every node of a cluster). */
  port: number;
  /** `address:port`, a contact point for cassandra-driver. */
  contactPoint: string;
  process: ChildProcess;
  /** Kills the JVM (SIGKILL by default), as a crash would. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** The tail of the node's system log, for failure messages. */
  logTail(lines?: number): string;
}

interface NodeSpec {
  address: string;
  seeds: string[];
  ports: { storage: number; native: number };
  dir: string;
  heapMb: number;
  /** Single-token ring position for cluster nodes (no bootstrap, no streaming). */
  initialToken?: string;
}

/** Gossip needs longer than a lone node: a node silent for about this long while joining is dropped. */
const ringDelayMs = (spec: NodeSpec) => (spec.seeds.length > 1 ? 10_000 : 1000);

function writeConfig(spec: NodeSpec): void {
  const d = (name: string) => join(spec.dir, name);
  const tokens = spec.initialToken === undefined ? 'num_tokens: 16' : `num_tokens: 1\ninitial_token: ${spec.initialToken}`;
  writeFileSync(
    d('cassandra.yaml'),
    `cluster_name: govc-test
${tokens}
allocate_tokens_for_local_replication_factor: 1
auto_bootstrap: false
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
data_file_directories: [${d('data')}]
commitlog_directory: ${d('commitlog')}
saved_caches_directory: ${d('saved_caches')}
hints_directory: ${d('hints')}
cdc_raw_directory: ${d('cdc_raw')}
# Every acknowledged write is on disk: the store reports itself durable.
commitlog_sync: batch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "${spec.seeds.map((s) => `${s}:${spec.ports.storage}`).join(',')}"
listen_address: ${spec.address}
rpc_address: ${spec.address}
storage_port: ${spec.ports.storage}
native_transport_port: ${spec.ports.native}
start_native_transport: true
endpoint_snitch: SimpleSnitch
auto_snapshot: false
paxos_variant: v2
# A 2-core test machine shared with other work: generous timeouts, so that
# a contended LWT finishes instead of timing out.
cas_contention_timeout: 10000ms
write_request_timeout: 10000ms
read_request_timeout: 10000ms
range_request_timeout: 10000ms
request_timeout: 15000ms
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 4
memtable_heap_space: ${Math.floor(spec.heapMb / 4)}MiB
key_cache_size: 8MiB
`,
  );
  writeFileSync(
    d('logback.xml'),
    `<configuration><appender name="F" class="ch.qos.logback.core.FileAppender"><file>${d('system.log')}</file>` +
      `<encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder></appender>` +
      `<root level="INFO"><appender-ref ref="F"/></root></configuration>`,
  );
}

function launch(spec: NodeSpec): CassandraNode {
  writeConfig(spec);
  const args = [
    `-Xms${spec.heapMb}m`, `-Xmx${spec.heapMb}m`, '-XX:+UseSerialGC', '-Xss512k', '-Djdk.attach.allowAttachSelf=true',
    ...JVM_MODULE_FLAGS,
    `-Dcassandra.config=file://${join(spec.dir, 'cassandra.yaml')}`,
    `-Dlogback.configurationFile=${join(spec.dir, 'logback.xml')}`,
    `-Dcassandra.storagedir=${spec.dir}`,
    '-Dcassandra-foreground=yes',
    '-Dcassandra.skip_wait_for_gossip_to_settle=0',
    `-Dcassandra.ring_delay_ms=${ringDelayMs(spec)}`,
    '-Dcassandra.superuser_setup_delay_ms=0',
    '-cp', `${spec.dir}:${cassandraLib()}/*`,
    'org.apache.cassandra.service.CassandraDaemon',
  ];
  const child = spawn(process.env.JAVA ?? 'java', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const log = join(spec.dir, 'system.log');
  const node: CassandraNode = {
    address: spec.address,
    port: spec.ports.native,
    contactPoint: `${spec.address}:${spec.ports.native}`,
    process: child,
    kill: (signal = 'SIGKILL') =>
      new Promise((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.kill(signal);
      }),
    logTail: (lines = 30) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-lines).join('\n') : '(no system.log)'),
  };
  return node;
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Waits until the node's log says startup completed and its CQL port accepts. */
async function waitReady(node: CassandraNode, dir: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const log = join(dir, 'system.log');
  for (;;) {
    if (node.process.exitCode !== null || node.process.signalCode !== null) {
      throw new Error(`cassandra on ${node.contactPoint} exited during startup:\n${node.logTail()}`);
    }
    if (existsSync(log) && readFileSync(log, 'utf8').includes('Startup complete') && (await accepts(node.address, node.port))) return;
    if (Date.now() > deadline) throw new Error(`cassandra on ${node.contactPoint} did not start in ${timeoutMs / 1000} s:\n${node.logTail()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface CassandraCluster {
  nodes: CassandraNode[];
  /** Contact points of every node. */
  readonly contactPoints: string[];
  stop(): Promise<void>;
}

async function start(addresses: string[], heapMb: number, tokens?: string[]): Promise<CassandraCluster> {
  const ports = await freePorts(addresses);
  const dirs = addresses.map(() => mkdtempSync(join(tmpdir(), 'govc-cassandra-')));
  const nodes: CassandraNode[] = [];
  const cluster: CassandraCluster = {
    nodes,
    get contactPoints() {
      return nodes.map((n) => n.contactPoint);
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.kill()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
  const spawnNode = (i: number) => {
    const node = launch({ address: addresses[i], seeds: addresses, ports, dir: dirs[i], heapMb, initialToken: tokens?.[i] });
    nodes.push(node);
    return waitReady(node, dirs[i], 300_000);
  };
  try {
    // The first node alone, then the others together: three JVMs starting at once on two cores stall gossip.
    await spawnNode(0);
    await Promise.all(addresses.slice(1).map((_, i) => spawnNode(i + 1)));
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** One node on 127.0.0.1 on free ports. */
export async function startCassandraNode(heapMb = 768): Promise<CassandraCluster & { node: CassandraNode }> {
  const cluster = await start(['127.0.0.1'], heapMb);
  return { ...cluster, node: cluster.nodes[0] };
}

/** Three nodes on 127.0.0.1-3 (every one a seed, evenly spaced single tokens), started together. */
export async function startCassandraCluster(heapMb = 512): Promise<CassandraCluster> {
  const addresses = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];
  const step = 2n ** 64n / 3n;
  const tokens = addresses.map((_, i) => String(-(2n ** 63n) + step * BigInt(i)));
  return start(addresses, heapMb, tokens);
}
