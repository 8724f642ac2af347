/** The writes of the SIGKILL crash test: deterministic from (seed, cycle, batch index), so the parent can replay what the child acknowledged. */
import type { LsmOptions, WriteOp } from '../../src/lsm/index.js';
import { prng, SMALL } from './helpers.js';

export const CRASH_OPTIONS: Partial<LsmOptions> = { ...SMALL, vlogFileBytes: 64 * 1024, vlogGcDiscardRatio: 0.3 };

export interface ModelOp {
  key: string;
  value?: string;
}

export function crashBatch(seed: number, cycle: number, i: number): ModelOp[] {
  const rand = prng(seed * 1_000_003 + cycle * 100_003 + i);
  return Array.from({ length: 1 + Math.floor(rand() * 8) }, (_, j) => {
    const key = `k${String(Math.floor(rand() * 1500)).padStart(4, '0')}`;
    const r = rand();
    if (r < 0.2) return { key };
    const tag = `${cycle}:${i}:${j}:`;
    return { key, value: r < 0.45 ? tag.padEnd(300 + Math.floor(rand() * 2700), String.fromCharCode(97 + (i % 26))) : tag };
  });
}

export function toWriteOps(ops: ModelOp[]): WriteOp[] {
  return ops.map((op) => (op.value === undefined ? { type: 'del', key: Buffer.from(op.key) } : { type: 'put', key: Buffer.from(op.key), value: Buffer.from(op.value) }));
}

export function applyTo(model: Map<string, string>, ops: ModelOp[]): void {
  for (const op of ops) op.value === undefined ? model.delete(op.key) : model.set(op.key, op.value);
}
