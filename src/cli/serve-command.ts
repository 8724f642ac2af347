/** `govc serve`: git smart HTTP and the REST API on the store the config names. */
import type { Command } from 'commander';
import { createStore } from '../datastore/builtin.js';
import { loadServerConfig, readServerConfigFile, type ServerFlags } from '../server/config.js';
import { initAdmin } from '../server/init-admin.js';
import { startServer } from '../server/server.js';
import { prepareDefault, resolveStore, storeOptions } from './store-option.js';

interface ServeOptions extends ServerFlags {
  initAdmin?: string;
  initAdminEmail?: string;
}

export function registerServeCommand(program: Command): void {
  const serve = program.command('serve').description('serve git (clone, fetch, push over smart HTTP) and the REST API from a store');
  storeOptions(serve, 'YAML config with datastore: and server: blocks')
    .option('--host <host>', 'address to listen on (default 127.0.0.1; 0.0.0.0 for all)')
    .option('-p, --port <port>', 'port to listen on (default 8080; 0 picks a free one)')
    .option('--init-admin <username>', 'create this administrator if absent and print its token once')
    .option('--init-admin-email <email>', 'email of the administrator --init-admin creates')
    .action(async (opts: ServeOptions) => {
      const file = opts.config !== undefined ? readServerConfigFile(opts.config) : {};
      const resolved = resolveStore(opts, file.datastore);
      prepareDefault(resolved);
      const config = loadServerConfig(file, resolved.datastore, opts);
      const store = await createStore(config.datastore);
      try {
        if (opts.initAdmin) {
          const admin = await initAdmin(store, opts.initAdmin, opts.initAdminEmail);
          if (admin.token) process.stdout.write(`govc: created administrator ${opts.initAdmin}; token (shown once, keep it): ${admin.token}\n`);
          else process.stdout.write(`govc: administrator ${opts.initAdmin} exists already; no new token\n`);
        }
        const server = await startServer(config, { store });
        process.stdout.write(`govc: serving ${store.type} store on ${server.url} (git: ${server.url}/<repo>.git, API: ${server.url}/api/v1)\n`);
        if (server.ssh) process.stdout.write(`govc: git over SSH on ${server.ssh.url} (${server.ssh.url}/<repo>.git; host key ${server.ssh.hostKey.fingerprint})\n`);
        await new Promise<void>((resolve) => {
          const stop = (signal: string) => {
            process.stdout.write(`govc: ${signal}: finishing in-flight requests, then closing the store\n`);
            process.once(signal, () => process.exit(130));
            server.close().then(resolve, (err) => {
              process.stderr.write(`govc: shutdown: ${(err as Error).message}\n`);
              resolve();
            });
          };
          process.once('SIGINT', () => stop('SIGINT'));
          process.once('SIGTERM', () => stop('SIGTERM'));
        });
      } finally {
        await store.close();
      }
    });
}
