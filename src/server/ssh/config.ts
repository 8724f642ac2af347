/**
 * `server.ssh` in the serve config:
 *
 *   server:
 *     ssh: {enabled: true, host: 0.0.0.0, port: 2222, host_key: ./data/ssh_host_ed25519_key}
 *
 * Off unless enabled. `host` defaults to server.host; the host key file is
 * generated on first start and kept (see host-key.ts).
 */
import { ConfigError } from '../../datastore/errors.js';
import { OptionReader } from '../../datastore/options.js';

export interface SshConfig {
  enabled: boolean;
  /** Address to listen on; undefined = the HTTP server's host. */
  host?: string;
  port: number;
  /** Path of the OpenSSH-format private host key (created when missing). */
  hostKeyPath: string;
}

export const DEFAULT_SSH: Readonly<SshConfig> = Object.freeze({
  enabled: false,
  port: 2222,
  hostKeyPath: './data/ssh_host_ed25519_key',
});

export function parseSshConfig(value: unknown): SshConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError('server.ssh must be a mapping, e.g. {enabled: true, port: 2222}', { key: 'server.ssh' });
  }
  const reader = new OptionReader('server.ssh', value as Record<string, unknown>);
  const host = reader.string('host');
  if (host === '') throw new ConfigError('server.ssh.host must be a host name or address', { key: 'server.ssh.host' });
  const config: SshConfig = {
    enabled: reader.bool('enabled', true),
    ...(host !== undefined ? { host } : {}),
    port: reader.int('port', DEFAULT_SSH.port, 0, 65535),
    hostKeyPath: reader.string('host_key', DEFAULT_SSH.hostKeyPath),
  };
  if (config.hostKeyPath === '') throw new ConfigError('server.ssh.host_key must be a file path', { key: 'server.ssh.host_key' });
  reader.done();
  return config;
}
