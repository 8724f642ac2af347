/**
 * Server metrics for Prometheus, kept by prom-client in a registry of this
 * server's own (not prom-client's global one), so two servers in one process
 * never share or collide. HTTP and git metrics are counted as they happen;
 * the store's figures are read from store.metrics() when /metrics is scraped.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from './engine-pool/engine.js';
import type { DataStore } from '../datastore/store.js';
import type { Metrics } from '../datastore/types.js';

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class ServerMetrics {
  private readonly registry = new Registry();
  private readonly startedAt = Date.now();
  /** One store.metrics() read shared by every store metric of a scrape (prom-client collects them concurrently). */
  private pending: Promise<Metrics | undefined> | undefined;

  readonly requests = new Counter({
    name: 'govc_http_requests_total',
    help: 'HTTP requests by route, method and status.',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'govc_http_request_duration_seconds',
    help: 'HTTP request duration by route.',
    labelNames: ['route'] as const,
    buckets: DURATION_BUCKETS,
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: 'govc_http_requests_in_flight',
    help: 'Requests being served now.',
    registers: [this.registry],
  });
  readonly gitOperations = new Counter({
    name: 'govc_git_operations_total',
    help: 'Git smart HTTP operations (upload-pack, receive-pack) by result.',
    labelNames: ['service', 'result'] as const,
    registers: [this.registry],
  });
  readonly packBytes = new Counter({
    name: 'govc_git_pack_bytes_total',
    help: 'Pack bytes sent (upload-pack) and received (receive-pack).',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  readonly packObjects = new Counter({
    name: 'govc_git_pack_objects_total',
    help: 'Objects sent and received in packs.',
    labelNames: ['direction'] as const,
    registers: [this.registry],
  });
  readonly refUpdates = new Counter({
    name: 'govc_git_ref_updates_total',
    help: 'Ref updates by pushes, by result.',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });

  constructor(private readonly store: DataStore) {
    const startedAt = this.startedAt;
    new Gauge({
      name: 'govc_uptime_seconds',
      help: 'Seconds since the server started.',
      registers: [this.registry],
      collect() {
        this.set((Date.now() - startedAt) / 1000);
      },
    });
    this.storeMetrics();
  }

  /** The engine pool's threads, slots and queue (all zero when git runs on the main loop). */
  watchEngine(engine: Engine): void {
    const registers = [this.registry];
    new Gauge({
      name: 'govc_engine_threads',
      help: 'Worker threads running clones and pushes off the main loop (0: they run on the main loop).',
      registers,
      collect() {
        this.set(engine.pool?.size.threads ?? 0);
      },
    });
    new Gauge({
      name: 'govc_engine_slots',
      help: 'Engine slots: requests running in worker threads (busy), slots free, requests waiting (queued).',
      labelNames: ['state'] as const,
      registers,
      collect() {
        const size = engine.pool?.size ?? { slots: 0, busy: 0, queued: 0 };
        this.set({ state: 'busy' }, size.busy);
        this.set({ state: 'free' }, size.slots - size.busy);
        this.set({ state: 'queued' }, size.queued);
      },
    });
    new Counter({
      name: 'govc_engine_jobs_total',
      help: 'Requests run in worker threads, by service.',
      labelNames: ['service'] as const,
      registers,
      collect() {
        this.reset();
        for (const [service, n] of Object.entries(engine.pool?.jobsRun ?? {})) this.inc({ service }, n);
      },
    });
  }

  /** The Prometheus content type of render()'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every metric in the Prometheus text exposition format. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private snapshot(): Promise<Metrics | undefined> {
    return (this.pending ??= this.store
      .metrics()
      .catch(() => undefined)
      .finally(() => (this.pending = undefined)));
  }

  /**
   * The store's figures, set on each scrape. Its cumulative counts stay
   * counters (so rate() works); when the store does not answer, its series
   * are left out and govc_store_up is 0.
   */
  private storeMetrics(): void {
    const type = this.store.type;
    const snapshot = () => this.snapshot();
    const registers = [this.registry];
    const labelNames = ['store'] as const;
    const cumulative = (name: string, help: string, pick: (m: Metrics) => number) =>
      new Counter({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const m = await snapshot();
          this.reset();
          if (m) this.inc({ store: type }, pick(m));
        },
      });
    const level = (name: string, help: string, pick: (m: Metrics) => number) =>
      new Gauge({
        name,
        help,
        labelNames,
        registers,
        async collect() {
          const m = await snapshot();
          this.reset();
          if (m) this.set({ store: type }, pick(m));
        },
      });
    cumulative('govc_store_reads_total', 'Store read operations.', (m) => m.reads);
    cumulative('govc_store_writes_total', 'Store write operations.', (m) => m.writes);
    cumulative('govc_store_deletes_total', 'Store delete operations.', (m) => m.deletes);
    cumulative('govc_store_errors_total', 'Store operations that failed.', (m) => m.errors);
    level('govc_store_objects', 'Git objects in the store.', (m) => m.objectCount);
    level('govc_store_bytes', 'Bytes the store uses.', (m) => m.storageBytes);
    new Gauge({
      name: 'govc_store_latency_seconds',
      help: 'Store operation latency percentiles over recent operations.',
      labelNames: ['store', 'quantile'] as const,
      registers,
      async collect() {
        const m = await snapshot();
        this.reset();
        if (!m) return;
        const { p50Ms, p95Ms, p99Ms, maxMs } = m.latency;
        for (const [quantile, ms] of [['0.5', p50Ms], ['0.95', p95Ms], ['0.99', p99Ms], ['1', maxMs]] as const) {
          this.set({ store: type, quantile }, ms / 1000);
        }
      },
    });
    new Counter({
      name: 'govc_store_cache_total',
      help: 'Cache layer lookups answered (hit) and passed to the store (miss), and values its tier evicted (eviction).',
      labelNames: ['store', 'result'] as const,
      registers,
      async collect() {
        const m = await snapshot();
        this.reset();
        if (!m?.cache) return;
        this.inc({ store: type, result: 'hit' }, m.cache.hits);
        this.inc({ store: type, result: 'miss' }, m.cache.misses);
        this.inc({ store: type, result: 'eviction' }, m.cache.evictions);
      },
    });
    new Gauge({
      name: 'govc_store_up',
      help: 'Whether the store answered the last metrics read.',
      labelNames,
      registers,
      async collect() {
        this.set({ store: type }, (await snapshot()) ? 1 : 0);
      },
    });
  }
}
