/** Shared bits of the engine's tests: temp directories, a seeded PRNG, small-file options that force flushes and compactions. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import type { LsmOptions } from '../../src/lsm/index.js';

const root = mkdtempSync(join(tmpdir(), 'govc-lsm-engine-'));
let counter = 0;
after(() => rmSync(root, { recursive: true, force: true }));

export const freshDir = (): string => join(root, `db-${++counter}`);

/** Tiny memtables, tables and levels: a few thousand writes exercise every level. */
export const SMALL: Partial<LsmOptions> = {
  memtableBytes: 32 * 1024,
  levelBaseBytes: 128 * 1024,
  levelRatio: 4,
  tableFileBytes: 32 * 1024,
  blockSize: 1024,
  valueThreshold: 256,
  vlogFileBytes: 128 * 1024,
  blockCacheBytes: 256 * 1024,
};

/** mulberry32: a small seeded PRNG, so a failing run can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const b = (s: string): Buffer => Buffer.from(s, 'latin1');
export const text = (x: Uint8Array | undefined): string | undefined => (x === undefined ? undefined : Buffer.from(x).toString('latin1'));

/** The model's view of a range, to compare with the engine's iterator. */
export function modelRange(model: Map<string, string>, r: { gt?: string; gte?: string; lt?: string; lte?: string; reverse?: boolean; limit?: number }): Array<[string, string]> {
  const cmp = (x: string, y: string) => Buffer.compare(b(x), b(y));
  let out = [...model.entries()].filter(([k]) =>
    (r.gt === undefined || cmp(k, r.gt) > 0) && (r.gte === undefined || cmp(k, r.gte) >= 0) && (r.lt === undefined || cmp(k, r.lt) < 0) && (r.lte === undefined || cmp(k, r.lte) <= 0),
  );
  out.sort((x, y) => cmp(x[0], y[0]));
  if (r.reverse) out.reverse();
  if (r.limit !== undefined) out = out.slice(0, r.limit);
  return out;
}
