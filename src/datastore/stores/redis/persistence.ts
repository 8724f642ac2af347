/** Is the data persisted? Reads AOF settings from every master and refuses a primary store without AOF. */
import { Cluster } from 'ioredis';
import { ConfigError } from '../../errors.js';
import { describe, type Client } from './connection.js';
import type { RedisSettings } from './settings.js';

export interface Persistence {
  /** Every master has appendonly yes. */
  aof: boolean;
  /** Every master fsyncs the AOF on every write. */
  fsyncAlways: boolean;
  nodes: Array<{ node: string; appendonly: string; appendfsync: string }>;
}

/** Reads AOF settings from every master (CONFIG may be disabled on managed services: then it is unknown). */
export async function readPersistence(client: Client): Promise<Persistence | Error> {
  const masters = client instanceof Cluster ? client.nodes('master') : [client];
  try {
    const nodes = await Promise.all(
      masters.map(async (node) => {
        const [, appendonly] = (await node.config('GET', 'appendonly')) as string[];
        const [, appendfsync] = (await node.config('GET', 'appendfsync')) as string[];
        return { node: `${node.options.host}:${node.options.port}`, appendonly, appendfsync };
      }),
    );
    return { aof: nodes.every((n) => n.appendonly === 'yes'), fsyncAlways: nodes.every((n) => n.appendonly === 'yes' && n.appendfsync === 'always'), nodes };
  } catch (err) {
    return err as Error;
  }
}

export function checkPersistence(settings: RedisSettings, p: Persistence | Error): void {
  if (settings.mode === 'cache' || settings.allowNoPersistence) return;
  const where = describe(settings);
  if (p instanceof Error) {
    throw new ConfigError(
      `cannot verify that ${where} persists writes (CONFIG GET appendonly failed: ${p.message}). If AOF is on, set the redis option allow_no_persistence: true to skip this check`,
      { key: 'allow_no_persistence' },
    );
  }
  const off = p.nodes.filter((n) => n.appendonly !== 'yes').map((n) => n.node);
  if (off.length > 0) {
    throw new ConfigError(
      `${where} runs without AOF (appendonly no on ${off.join(', ')}): a restart of redis would lose data. Turn it on (appendonly yes in redis.conf, or CONFIG SET appendonly yes), or set the redis option allow_no_persistence: true (or mode: cache) to accept the loss`,
      { key: 'allow_no_persistence', nodes: off },
    );
  }
}
