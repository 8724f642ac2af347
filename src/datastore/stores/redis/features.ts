/**
 * What Redis offers beside storage, as driver methods: keys with a TTL
 * (sessions, cache entries), pub/sub of ref changes and audit events, the
 * audit stream (event sourcing), HyperLogLog counts and sorted-set rankings.
 */
import type { ChangeEvent, ChangeListener } from '../../driver.js';
import { InvalidArgumentError } from '../../errors.js';
import type { AuditEvent, JsonObject } from '../../types.js';
import { eventFromJson, type StoredEvent } from './codec.js';
import { Cluster } from 'ioredis';
import type { Client } from './connection.js';
import type { RedisKeys } from './keys.js';

function checkTtl(ttlMs: number): number {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) throw new InvalidArgumentError(`ttlMs must be a positive integer of milliseconds; got ${ttlMs}`);
  return ttlMs;
}

function checkKey(what: string, key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 1024) throw new InvalidArgumentError(`${what} must be a string of 1 to 1024 characters`);
  return key;
}

export interface AuditStreamEntry {
  /** The stream entry id (`<ms>-<seq>`): pass it back as `after`. */
  streamId: string;
  event: AuditEvent;
}

export class RedisFeatures {
  /** Open subscriber connections, closed with the store. */
  private readonly subscribers = new Set<Client>();

  constructor(
    private readonly client: Client,
    private readonly keys: RedisKeys,
  ) {}

  // ---- TTL keys ----
  async setCache(key: string, value: string | Buffer, ttlMs: number): Promise<void> {
    await this.client.set(this.keys.cache(checkKey('cache key', key)), value, 'PX', checkTtl(ttlMs));
  }

  async getCache(key: string): Promise<Buffer | undefined> {
    return (await this.client.getBuffer(this.keys.cache(checkKey('cache key', key)))) ?? undefined;
  }

  async deleteCache(key: string): Promise<void> {
    await this.client.del(this.keys.cache(checkKey('cache key', key)));
  }

  async setSession(id: string, data: JsonObject, ttlMs: number): Promise<void> {
    await this.client.set(this.keys.session(checkKey('session id', id)), JSON.stringify(data), 'PX', checkTtl(ttlMs));
  }

  async getSession(id: string): Promise<JsonObject | undefined> {
    const json = await this.client.get(this.keys.session(checkKey('session id', id)));
    return json === null ? undefined : (JSON.parse(json) as JsonObject);
  }

  /** Extends a live session; false when it already expired. */
  async touchSession(id: string, ttlMs: number): Promise<boolean> {
    return (await this.client.pexpire(this.keys.session(checkKey('session id', id)), checkTtl(ttlMs))) === 1;
  }

  async deleteSession(id: string): Promise<void> {
    await this.client.del(this.keys.session(checkKey('session id', id)));
  }

  /** Milliseconds left, or undefined when the key is gone. */
  async sessionTtlMs(id: string): Promise<number | undefined> {
    const ms = await this.client.pttl(this.keys.session(checkKey('session id', id)));
    return ms < 0 ? undefined : ms;
  }

  // ---- statistics ----
  /** Distinct users with audit events on a repository (HyperLogLog: about 0.81% standard error). */
  async distinctUsers(repositoryId: string): Promise<number> {
    return this.client.pfcount(this.keys.repoUsers(repositoryId));
  }

  /** Repositories by the number of ref updates they received, most first. */
  async mostActiveRepositories(limit = 10): Promise<Array<{ repositoryId: string; refUpdates: number }>> {
    if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError(`limit must be a positive integer; got ${limit}`);
    const flat = await this.client.zrevrange(this.keys.activityRanking(), 0, limit - 1, 'WITHSCORES');
    const out: Array<{ repositoryId: string; refUpdates: number }> = [];
    for (let i = 0; i < flat.length; i += 2) out.push({ repositoryId: flat[i], refUpdates: Number(flat[i + 1]) });
    return out;
  }

  // ---- the audit stream ----
  /** Entries in append order, strictly after the stream id `after` (from the start when absent). */
  async readAuditStream(options: { after?: string; count?: number } = {}): Promise<AuditStreamEntry[]> {
    const count = options.count ?? 100;
    if (!Number.isInteger(count) || count < 1) throw new InvalidArgumentError(`count must be a positive integer; got ${count}`);
    const start = options.after ? `(${options.after}` : '-';
    const entries = await this.client.xrange(this.keys.auditStream, start, '+', 'COUNT', count);
    return entries.map(([streamId, fields]) => ({ streamId, event: eventFromJson(JSON.parse(fields[fields.indexOf('event') + 1]) as StoredEvent) }));
  }

  // ---- change events ----
  /** A dedicated subscriber connection; changes published by the write script in any process arrive here. */
  async subscribe(listener: ChangeListener): Promise<() => Promise<void>> {
    const sub: Client = this.client instanceof Cluster ? this.client.duplicate() : this.client.duplicate();
    sub.on('error', () => undefined);
    sub.on('message', (_channel: string, message: string) => {
      // Audit events arrive with the stored JSON (timestamp in epoch ms); ref changes as they are.
      const parsed = JSON.parse(message) as Extract<ChangeEvent, { kind: 'ref' }> | { kind: 'audit'; event: StoredEvent };
      listener(parsed.kind === 'audit' ? { kind: 'audit', event: eventFromJson(parsed.event) } : parsed);
    });
    this.subscribers.add(sub);
    try {
      await sub.subscribe(this.keys.changesChannel);
    } catch (err) {
      this.subscribers.delete(sub);
      sub.disconnect();
      throw err;
    }
    return async () => {
      if (!this.subscribers.delete(sub)) return;
      await sub.unsubscribe().catch(() => undefined);
      sub.disconnect();
    };
  }

  /** Ends every subscription (the store is closing). */
  closeSubscribers(): void {
    for (const sub of this.subscribers) sub.disconnect();
    this.subscribers.clear();
  }
}
