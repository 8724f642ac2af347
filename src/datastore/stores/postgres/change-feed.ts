/**
 * LISTEN side of the change feed: one dedicated connection per store (not a
 * pool client) listens on the schema's channel while anyone is subscribed.
 * Notices arrive after the writing transaction committed, from any process;
 * audit events are fetched by id, parked oversize notices by row id. Delivery
 * keeps arrival order. If the connection drops it reconnects after a second;
 * changes committed while it was down are not replayed.
 */
import pg from 'pg';
import type { ChangeEvent, ChangeFeed, ChangeListener } from '../../driver.js';
import type { AuditEvent } from '../../types.js';
import type { WirePayload } from './notices.js';

export interface FeedSource {
  clientConfig: pg.ClientConfig;
  channel: string;
  getEvent(id: string): Promise<AuditEvent | undefined>;
  getParkedNotice(id: string): Promise<string | undefined>;
  mapError(err: unknown): unknown;
}

const RECONNECT_MS = 1000;

export class PgChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private delivery: Promise<void> = Promise.resolve();
  private reconnectTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly source: FeedSource) {}

  async subscribe(listener: ChangeListener): Promise<() => Promise<void>> {
    this.listeners.add(listener);
    try {
      await this.listen();
    } catch (err) {
      this.listeners.delete(listener);
      throw this.source.mapError(err);
    }
    return async () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) await this.stop();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    await this.stop();
  }

  private listen(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client(this.source.clientConfig);
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    client.on('notification', (msg) => {
      if (msg.channel !== this.source.channel || msg.payload === undefined) return;
      const payload = msg.payload;
      this.delivery = this.delivery.then(() => this.deliver(payload)).catch(() => undefined);
    });
    await client.connect();
    try {
      await client.query(`LISTEN "${this.source.channel}"`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
  }

  private lost(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.listeners.size === 0 || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed && this.listeners.size > 0) this.listen().catch(() => this.scheduleReconnect());
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  private async stop(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  private async deliver(text: string): Promise<void> {
    let wire = JSON.parse(text) as WirePayload;
    if (wire.k === 'b') {
      const parked = await this.source.getParkedNotice(wire.id);
      if (parked === undefined) return;
      wire = JSON.parse(parked) as WirePayload;
    }
    let change: ChangeEvent;
    if (wire.k === 'r') {
      change = { kind: 'ref', repositoryId: wire.r, name: wire.n, old: wire.o, new: wire.v };
    } else if (wire.k === 'a') {
      const event = await this.source.getEvent(wire.id);
      if (!event) return;
      change = { kind: 'audit', event };
    } else {
      return;
    }
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch {
        // A throwing listener must not stop delivery to the others.
      }
    }
  }
}
