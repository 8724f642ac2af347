/** Load generation: autocannon runs and concurrent `git clone`s, each turned into a suite row. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Timings } from '../timings.js';
import { rowFromSamples, type RowBase } from './measure.js';
import type { BenchResult } from './result.js';

/** One autocannon run of `seconds` at `connections`; latency quantiles from its histogram. */
export async function cannon(base: RowBase, url: string, connections: number, seconds: number): Promise<BenchResult> {
  const r = await autocannon({ url, connections, duration: seconds, timeout: 30 });
  const l = r.latency;
  const errors = r.errors + r.non2xx;
  return {
    ...base,
    workers: connections,
    mode: 'connections',
    count: r.requests.total,
    opsPerSec: Math.round((r.requests.total / (r.duration || seconds)) * 10) / 10,
    p50Ms: l.p50,
    p99Ms: l.p99,
    // autocannon keeps an HDR histogram; these are the percentiles it reports.
    quantilesMs: [[0, l.min], [1, l.p1], [2.5, l.p2_5], [10, l.p10], [25, l.p25], [50, l.p50], [75, l.p75], [90, l.p90], [97.5, l.p97_5], [99, l.p99], [99.9, l.p99_9], [100, l.max]],
    errors,
  };
}

function gitClone(url: string, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['clone', '--bare', '-q', url, dir], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git clone ${url} exited ${code}: ${stderr.trim()}`))));
  });
}

/** `total` clones of `url`, `parallel` at a time; failed clones are counted, not thrown. */
export async function clones(base: RowBase, url: string, parallel: number, total: number): Promise<BenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'govc-bench-clone-'));
  const t = new Timings(total);
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < total) {
          const i = next++;
          const start = performance.now();
          try {
            await gitClone(url, join(dir, `c${i}`));
            t.record(performance.now() - start);
          } catch (err) {
            errors++;
            firstError ??= (err as Error).message;
          }
          rmSync(join(dir, `c${i}`), { recursive: true, force: true });
        }
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const wallMs = performance.now() - t0;
  const row = rowFromSamples({ ...base, workers: parallel, mode: 'processes' }, t.sorted(), (t.count * 1000) / wallMs);
  return { ...row, errors, ...(firstError ? { note: `${base.note ?? ''}; first failure: ${firstError}` } : {}) };
}
