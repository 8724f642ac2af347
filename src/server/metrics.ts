/**
 * Server metrics in the Prometheus text exposition format (version 0.0.4):
 * HTTP requests by route and status, request durations, git traffic, and
 * the store's own counters and latency percentiles.
 */
import type { DataStore } from '../datastore/store.js';

type Labels = Record<string, string>;

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Counter {
  readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(readonly name: string, readonly help: string) {}
  inc(labels: Labels = {}, by = 1): void {
    const key = labelText(labels);
    const entry = this.values.get(key);
    if (entry) entry.value += by;
    else this.values.set(key, { labels, value: by });
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const { labels, value } of this.values.values()) lines.push(`${this.name}${labelText(labels)} ${value}`);
    return lines;
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
  constructor(readonly name: string, readonly help: string) {}
  observe(labels: Labels, seconds: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { labels, counts: BUCKETS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS.forEach((b, i) => {
      if (seconds <= b) s!.counts[i]++;
    });
    s.sum += seconds;
    s.count++;
  }
  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      BUCKETS.forEach((b, i) => lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines;
  }
}

function single(kind: 'gauge' | 'counter', name: string, help: string, value: number, labels: Labels = {}): string[] {
  return [`# HELP ${name} ${help}`, `# TYPE ${name} ${kind}`, `${name}${labelText(labels)} ${value}`];
}
const gauge = (name: string, help: string, value: number, labels: Labels = {}) => single('gauge', name, help, value, labels);
const counter = (name: string, help: string, value: number, labels: Labels = {}) => single('counter', name, help, value, labels);

export class ServerMetrics {
  readonly requests = new Counter('govc_http_requests_total', 'HTTP requests by route, method and status.');
  readonly duration = new Histogram('govc_http_request_duration_seconds', 'HTTP request duration by route.');
  readonly gitOperations = new Counter('govc_git_operations_total', 'Git smart HTTP operations (upload-pack, receive-pack) by result.');
  readonly packBytes = new Counter('govc_git_pack_bytes_total', 'Pack bytes sent (upload-pack) and received (receive-pack).');
  readonly packObjects = new Counter('govc_git_pack_objects_total', 'Objects sent and received in packs.');
  readonly refUpdates = new Counter('govc_git_ref_updates_total', 'Ref updates by pushes, by result.');
  inFlight = 0;
  private readonly startedAt = Date.now();

  async render(store: DataStore): Promise<string> {
    const lines: string[] = [
      ...this.requests.render(),
      ...this.duration.render(),
      ...this.gitOperations.render(),
      ...this.packBytes.render(),
      ...this.packObjects.render(),
      ...this.refUpdates.render(),
      ...gauge('govc_http_requests_in_flight', 'Requests being served now.', this.inFlight),
      ...gauge('govc_uptime_seconds', 'Seconds since the server started.', (Date.now() - this.startedAt) / 1000),
    ];
    const type = { store: store.type };
    try {
      const m = await store.metrics();
      lines.push(
        ...counter('govc_store_reads_total', 'Store read operations.', m.reads, type),
        ...counter('govc_store_writes_total', 'Store write operations.', m.writes, type),
        ...counter('govc_store_deletes_total', 'Store delete operations.', m.deletes, type),
        ...counter('govc_store_errors_total', 'Store operations that failed.', m.errors, type),
        ...gauge('govc_store_objects', 'Git objects in the store.', m.objectCount, type),
        ...gauge('govc_store_bytes', 'Bytes the store uses.', m.storageBytes, type),
        `# HELP govc_store_latency_seconds Store operation latency percentiles over recent operations.`,
        `# TYPE govc_store_latency_seconds gauge`,
        ...(
          [
            ['0.5', m.latency.p50Ms],
            ['0.95', m.latency.p95Ms],
            ['0.99', m.latency.p99Ms],
            ['1', m.latency.maxMs],
          ] as const
        ).map(([q, ms]) => `govc_store_latency_seconds${labelText({ ...type, quantile: q })} ${ms / 1000}`),
        ...gauge('govc_store_up', 'Whether the store answered the last metrics read.', 1, type),
      );
    } catch {
      lines.push(...gauge('govc_store_up', 'Whether the store answered the last metrics read.', 0, type));
    }
    return lines.join('\n') + '\n';
  }
}
