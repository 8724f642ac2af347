/**
 * The SSH listener of `govc serve` (server.ssh): ssh2 for the transport and
 * authentication, then each session runs git-upload-pack or git-receive-pack
 * through the same protocol engine, permissions, limits, metrics and audit
 * as smart HTTP (see git-service.ts).
 *
 * A connection must authenticate within LOGIN_GRACE_MS (time for a human to
 * type a key's passphrase, as sshd's LoginGraceTime allows); at
 * server.max_connections further connections are refused; keepalives find
 * clients that vanished. Closing stops accepting, lets running git commands
 * finish for up to server.shutdown_timeout_ms, then ends every connection.
 */
import type { AddressInfo } from 'node:net';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { ConfigError } from '../../datastore/errors.js';
import type { ServerState } from '../context.js';
import { SshAuthenticator } from './auth.js';
import { runGitService } from './git-service.js';
import { loadOrCreateHostKey, type HostKey } from './host-key.js';
import { handleSession } from './session.js';

export const LOGIN_GRACE_MS = 60_000;

export interface RunningSsh {
  host: string;
  port: number;
  /** `ssh://git@host:port`: prefix of clone URLs. */
  url: string;
  hostKey: HostKey;
  close(): Promise<void>;
}

export async function startSshServer(state: ServerState, httpUrl: string, log: (line: string) => void): Promise<RunningSsh> {
  const ssh = state.config.ssh;
  const host = ssh.host ?? state.config.host;
  const hostKey = loadOrCreateHostKey(ssh.hostKeyPath);
  const clients = new Set<Connection>();
  let url = '';
  let closing = false;
  const running = new Set<Promise<number>>();

  const server = new ssh2.Server({ hostKeys: [hostKey.privateKey], ident: 'govc', keepaliveInterval: 15_000, keepaliveCountMax: 4 }, (client) => {
    clients.add(client);
    const auth = new SshAuthenticator(state.store, httpUrl, log);
    const grace = setTimeout(() => client.end(), LOGIN_GRACE_MS).unref();
    client.on('authentication', (ctx) => auth.handle(ctx));
    client.on('ready', () => clearTimeout(grace));
    client.on('session', (accept, reject) => {
      if (!auth.identity || closing) return reject();
      handleSession(accept(), auth.identity, url, (exec) => track(runGitService(state, exec, log)), log);
    });
    // A client that resets or speaks garbage ends its own connection only.
    client.on('error', () => undefined);
    client.on('close', () => {
      clearTimeout(grace);
      clients.delete(client);
    });
  });
  server.maxConnections = state.config.maxConnections;
  const track = (work: Promise<number>) => {
    running.add(work);
    void work.catch(() => undefined).finally(() => running.delete(work));
    return work;
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new ConfigError(`SSH port ${ssh.port} is in use on ${host}; set server.ssh.port to another`));
      else if (err.code === 'EACCES') reject(new ConfigError(`no permission to listen on SSH port ${ssh.port}; use a port above 1023 or run with the needed privileges`));
      else reject(err);
    });
    server.listen(ssh.port, host, () => resolve());
  });
  server.on('error', (err: Error) => log(`govc: ssh listener: ${err.message}`));
  const port = (server.address() as AddressInfo).port;
  url = `ssh://git@${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closed: Promise<void> | undefined;
  const close = () =>
    (closed ??= (async () => {
      closing = true;
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), state.config.shutdownTimeoutMs).unref());
      const result = await Promise.race([Promise.allSettled([...running]).then(() => 'done' as const), timeout]);
      if (result === 'timeout') log(`govc: ${running.size} SSH git command(s) still running after ${state.config.shutdownTimeoutMs} ms; closing them`);
      for (const client of clients) client.end();
      await stopped;
    })());
  return { host, port, url, hostKey, close };
}
