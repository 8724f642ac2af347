/**
 * The HTTP server: routes requests, identifies callers, counts metrics, and
 * shuts down gracefully (stop accepting, let in-flight requests finish,
 * then close the store). A push's ref update is a single atomic updateRefs,
 * its audit event in the same write, so a push cut by the shutdown timeout
 * (or a crash) is never half-applied and never left unrecorded.
 *
 * Slow clients are cut by silence, not by total time, as nginx and git
 * daemon do: headers must arrive within server.timeouts.headers, a body or
 * a response that moves no byte for server.timeouts.idle is cut, and only
 * a generous server.timeouts.request bounds a whole upload, so a large push
 * on a slow link still goes through.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createStore } from '../datastore/builtin.js';
import { ConfigError } from '../datastore/errors.js';
import type { DataStore } from '../datastore/store.js';
import { identify } from './auth/identify.js';
import type { ServerConfig } from './config.js';
import { capConnections } from './connection-cap.js';
import { RequestContext, type ServerState } from './context.js';
import { HttpError, statusOf } from './http-error.js';
import { closeAfterUnreadBody, decodeParam, sendJson, sendText } from './http-util.js';
import { ServerMetrics } from './metrics.js';
import { packCacheOptions } from './pack-cache-config.js';
import { cloneListOptions } from './clone-lists-config.js';
import { ServerBusyError, startEngine, type Engine } from './engine-pool/engine.js';
import { protocolLimits } from './limits.js';
import { match } from './routes.js';
import { startSshServer, type RunningSsh } from './ssh/server.js';
import { prepareTmpDir } from './tmp-dirs.js';

export interface RunningServer {
  readonly store: DataStore;
  readonly port: number;
  readonly url: string;
  /** This server's own temporary directory (removed at close). */
  readonly tmpDir: string;
  /** Git over SSH, when server.ssh is enabled. */
  readonly ssh?: RunningSsh;
  /** Where git runs: the engine pool (when it is on) or the main loop. */
  readonly engine: Engine;
  /** Stops accepting, waits for in-flight requests (up to the shutdown timeout), closes the store. */
  close(): Promise<void>;
}

export type Logger = (line: string) => void;

/** Opens the store named by the config (or uses `store`) and listens. */
export async function startServer(config: ServerConfig, options: { store?: DataStore; log?: Logger } = {}): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const tmp = await prepareTmpDir(config.tmpDir);
  if (tmp.removed.length > 0) log(`govc: removed ${tmp.removed.length} temporary director${tmp.removed.length === 1 ? 'y' : 'ies'} of stopped servers from ${config.tmpDir}`);
  let store: DataStore;
  try {
    store = options.store ?? (await createStore(config.datastore));
  } catch (err) {
    await tmp.release();
    throw err;
  }
  const packCache = packCacheOptions(config.packCache, config.tmpDir);
  const cloneLists = cloneListOptions(config.cloneLists, config.tmpDir);
  const closeStore = () => (options.store ? Promise.resolve() : store.close());
  let engine: Engine;
  try {
    engine = await startEngine(config.workers, { datastore: config.datastore, limits: protocolLimits(config.limits), tmpDir: tmp.path, ...(packCache ? { packCache } : {}), ...(cloneLists ? { cloneLists } : {}) }, log);
  } catch (err) {
    await closeStore();
    await tmp.release();
    throw err;
  }
  const metrics = new ServerMetrics(store);
  metrics.watchEngine(engine);
  const state: ServerState = { store, config, metrics, limits: config.limits, tmpDir: tmp.path, engine, ...(packCache ? { packCache } : {}), ...(cloneLists ? { cloneLists } : {}) };
  const inFlight = new Set<Promise<void>>();
  let closing = false;

  const { headersMs, requestMs, keepAliveMs, idleMs } = config.timeouts;
  // node checks headers and request timeouts on this interval (30 s by default, too coarse for a 10 s timeout).
  const server = createServer({ connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(headersMs / 4))) }, (req, res) => {
    if (closing) res.setHeader('connection', 'close');
    cutStalledResponse(res, idleMs, log);
    closeAfterUnreadBody(req, res);
    const done = handle(state, req, res, log).finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  server.headersTimeout = headersMs;
  server.requestTimeout = requestMs;
  server.keepAliveTimeout = keepAliveMs;
  capConnections(server, config.maxConnections);

  try {
    await listen(server, config.host, config.port);
  } catch (err) {
    await engine.close();
    await closeStore();
    await tmp.release();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  let ssh: RunningSsh | undefined;
  if (config.ssh.enabled) {
    try {
      ssh = await startSshServer(state, url, log);
    } catch (err) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
      await closeStore();
      await tmp.release();
      throw err;
    }
  }

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const sshStopped = ssh?.close();
      server.closeIdleConnections();
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), config.shutdownTimeoutMs).unref());
      const result = await Promise.race([Promise.allSettled([...inFlight]).then(() => 'done' as const), timeout]);
      if (result === 'timeout') log(`govc: ${inFlight.size} request(s) still running after ${config.shutdownTimeoutMs} ms; closing them`);
      server.closeAllConnections();
      await stopped;
      await sshStopped;
      await engine.close();
      await tmp.release();
      await closeStore();
    })());
  return { store, port, url, tmpDir: tmp.path, engine, ...(ssh ? { ssh } : {}), close };
}

/**
 * Cuts a response the client stopped reading: without this, a clone to a
 * client that never reads would hold its handler (and store reads) forever.
 * Only time blocked on the client counts; a handler still computing is not idle.
 */
function cutStalledResponse(res: ServerResponse, idleMs: number, log: Logger): void {
  let lastWritten = -1;
  let movedAt = Date.now();
  const timer = setInterval(() => {
    const written = res.socket?.bytesWritten ?? 0;
    if (!res.writableNeedDrain || written !== lastWritten) movedAt = Date.now();
    lastWritten = written;
    if (Date.now() - movedAt >= idleMs) {
      log(`govc: closing a response the client has not read for ${idleMs} ms (server.timeouts.idle)`);
      res.destroy();
    }
  }, Math.max(10, Math.floor(idleMs / 4)));
  timer.unref();
  res.once('close', () => clearInterval(timer));
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new ConfigError(`port ${port} is in use on ${host}; pass --port (or server.port in the config) to pick another`));
      else if (err.code === 'EACCES') reject(new ConfigError(`no permission to listen on port ${port}; use a port above 1023 or run with the needed privileges`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new ConfigError(`cannot listen on host ${host}: ${err.message}; pass --host`));
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}

async function handle(state: ServerState, req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
  const started = performance.now();
  const metrics = state.metrics;
  metrics.inFlight.inc();
  let routeName = 'unmatched';
  try {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const found = match(req.method ?? 'GET', url.pathname);
    if (!found) throw new HttpError(404, `no route for ${url.pathname}`, 'NOT_FOUND');
    if ('allowed' in found) {
      res.setHeader('allow', [...new Set(found.allowed)].join(', '));
      throw new HttpError(405, `${req.method} is not allowed here; use ${[...new Set(found.allowed)].join(' or ')}`, 'METHOD_NOT_ALLOWED');
    }
    routeName = found.route.name;
    const user = await identify(state.store, req);
    const ctx = new RequestContext(state, req, res, url, found.params.map(decodeParam), user);
    await found.route.handler(ctx);
  } catch (err) {
    const { status, code, message } = statusOf(err);
    if (status >= 500) log(`govc: ${req.method} ${req.url}: ${(err as Error).stack ?? String(err)}`);
    // The connection cannot be reused while the rest of the body is unread.
    if (!req.complete && !res.headersSent) res.setHeader('connection', 'close');
    if (!res.headersSent) {
      if (status === 401) res.setHeader('www-authenticate', 'Basic realm="govc", charset="UTF-8"');
      if (err instanceof ServerBusyError) res.setHeader('retry-after', String(err.retryAfterSeconds));
      if (routeName.startsWith('git.')) sendText(res, status, `${message}\n`);
      else sendJson(res, status, { error: { code, message } });
    } else if (!res.writableEnded) {
      res.destroy();
    }
  } finally {
    metrics.inFlight.dec();
    const labels = { route: routeName, method: req.method ?? '', status: String(res.statusCode) };
    metrics.requests.inc(labels);
    metrics.duration.observe({ route: routeName }, (performance.now() - started) / 1000);
  }
}
