/** `govc serve`: git smart HTTP and the REST API on the store the config names. */
import type { Command } from 'commander';
import { createStore } from '../datastore/builtin.js';
import type { DataStore } from '../datastore/store.js';
import { checkProcessesStore, isServerProcess, leaveCluster, parseProcesses, reportListening, runPrimary } from '../server/cluster.js';
import { loadServerConfig, readServerConfigFile, type ServerConfig, type ServerFlags } from '../server/config.js';
import { initAdmin } from '../server/init-admin.js';
import { startServer } from '../server/server.js';
import { prepareDefault, resolveStore, storeOptions } from './store-option.js';

interface ServeOptions extends ServerFlags {
  initAdmin?: string;
  initAdminEmail?: string;
  processes?: string;
}

export function registerServeCommand(program: Command): void {
  const serve = program.command('serve').description('serve git (clone, fetch, push over smart HTTP) and the REST API from a store');
  storeOptions(serve, 'YAML config with datastore: and server: blocks')
    .option('--host <host>', 'address to listen on (default 127.0.0.1; 0.0.0.0 for all)')
    .option('-p, --port <port>', 'port to listen on (default 8080; 0 picks a free one)')
    .option('--workers <n>', 'worker threads that run clones and pushes off the main loop (default: one per core; 0: none)')
    .option('--processes <n>', 'server processes sharing the port (default 1; for stores several processes can open, e.g. postgres)')
    .option('--init-admin <username>', 'create this administrator if absent and print its token once')
    .option('--init-admin-email <email>', 'email of the administrator --init-admin creates')
    .action(async (opts: ServeOptions) => {
      const file = opts.config !== undefined ? readServerConfigFile(opts.config) : {};
      const resolved = resolveStore(opts, file.datastore);
      prepareDefault(resolved);
      const config = loadServerConfig(file, resolved.datastore, opts);
      const processes = parseProcesses(opts.processes);
      checkProcessesStore(config.datastore, processes);
      if (isServerProcess()) return serveProcess(config);
      const store = await createStore(config.datastore);
      try {
        if (opts.initAdmin) await createAdmin(store, opts.initAdmin, opts.initAdminEmail);
        if (processes > 1) {
          const type = store.type;
          // The processes open the store themselves; the primary only checked it and made the administrator.
          await store.close();
          await runPrimary(processes, (m) => announce(type, m.url, m.ssh, ` (${processes} processes)`), (line) => process.stderr.write(`${line}\n`));
          return;
        }
        const server = await startServer(config, { store });
        announce(store.type, server.url, server.ssh && { url: server.ssh.url, fingerprint: server.ssh.hostKey.fingerprint });
        await untilSignal(() => server.close());
      } finally {
        await store.close();
      }
    });
}

async function createAdmin(store: DataStore, username: string, email: string | undefined): Promise<void> {
  const admin = await initAdmin(store, username, email);
  if (admin.token) process.stdout.write(`govc: created administrator ${username}; token (shown once, keep it): ${admin.token}\n`);
  else process.stdout.write(`govc: administrator ${username} exists already; no new token\n`);
}

function announce(type: string, url: string, ssh: { url: string; fingerprint: string } | undefined, note = ''): void {
  process.stdout.write(`govc: serving ${type} store on ${url}${note} (git: ${url}/<repo>.git, API: ${url}/api/v1)\n`);
  if (ssh) process.stdout.write(`govc: git over SSH on ${ssh.url} (${ssh.url}/<repo>.git; host key ${ssh.fingerprint})\n`);
}

/** Resolves once SIGINT or SIGTERM has run `close` (a second signal exits at once). */
function untilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stdout.write(`govc: ${signal}: finishing in-flight requests, then closing the store\n`);
      process.once(signal, () => process.exit(130));
      close().then(resolve, (err) => {
        process.stderr.write(`govc: shutdown: ${(err as Error).message}\n`);
        resolve();
      });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

/** One of --processes' server processes: serves until the primary stops it, and tells it where it listens. */
async function serveProcess(config: ServerConfig): Promise<void> {
  const server = await startServer(config);
  reportListening(server);
  // The primary's Ctrl-C reaches the whole process group: only its SIGTERM stops a process.
  process.on('SIGINT', () => undefined);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => {
      server.close().then(resolve, (err) => {
        process.stderr.write(`govc: shutdown: ${(err as Error).message}\n`);
        resolve();
      });
    });
  });
  leaveCluster();
}
