/**
 * A small seeded fuzzer. Each target gets mutated seed inputs and must, for
 * every one, either succeed or throw one of our typed errors (DataStoreError,
 * HttpError), within a time bound and without a large allocation.
 *
 * CI: a fixed seed and a fixed number of inputs per target, so a run is the
 * same every time. GOVC_FUZZ_SECONDS=N: N seconds per target from a random
 * seed (printed). GOVC_FUZZ_SEED=S starts at S: a failure prints the seed of
 * its input, and that seed replays it as the first input.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { TestContext } from 'node:test';
import { join } from 'node:path';
import { DataStoreError, type ErrorCode } from '../../src/datastore/errors.js';
import { HttpError } from '../../src/server/http-error.js';
import { mutate, prng, type Rng } from './mutate.js';
import { Watchdog } from './watchdog.js';
import { trackAllocations } from './allocations.js';

export interface Target {
  name: string;
  seeds: Buffer[];
  /** Tokens worth inserting (pkt-line lengths, YAML syntax). */
  dictionary?: Buffer[];
  /** Builds an input from a seed; default: byte mutations. */
  generate?: (seed: Buffer, rng: Rng, seeds: readonly Buffer[]) => Buffer;
  /** Runs the code under test; may assert on what it returns. */
  run: (input: Buffer, rng: Rng) => unknown;
  /** Error codes this target may throw; default any DataStoreError or HttpError. */
  codes?: ErrorCode[];
  /** Inputs per CI run. */
  iterations: number;
}

export const TIME_BOUND_MS = 2000;
/** No single allocation while parsing a small input may be this large. */
export const ALLOCATION_BOUND = 64 << 20;
/** Nor may the process grow by this much (rss) over a run. */
export const RSS_BOUND = 512 << 20;

const GOLDEN = 0x9e3779b9;
const seconds = Number(process.env.GOVC_FUZZ_SECONDS ?? 0);
const startSeed = process.env.GOVC_FUZZ_SEED ? Number(process.env.GOVC_FUZZ_SEED) >>> 0 : undefined;

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Why an outcome is a bug, or undefined when it is fine. */
export function verdict(err: unknown, codes?: ErrorCode[]): string | undefined {
  if (err instanceof DataStoreError) {
    if (codes && !codes.includes(err.code)) return `${err.name} with code ${err.code}, expected ${codes.join(' or ')}: ${err.message}`;
    return err.message ? undefined : `${err.name} without a message`;
  }
  if (err instanceof HttpError && !codes) return undefined;
  const e = err as Error;
  return `raw ${e?.name ?? typeof err}: ${e?.message ?? String(err)}\n${e?.stack?.split('\n').slice(1, 6).join('\n') ?? ''}`;
}

/** Runs one input with the time bound and allocation tracking; returns what went wrong, if anything. */
export async function check(target: Pick<Target, 'run' | 'codes'>, input: Buffer, rng: Rng = prng(0)): Promise<string | undefined> {
  const allocations = trackAllocations(ALLOCATION_BOUND);
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(resolve, TIME_BOUND_MS, 'hang')));
    const outcome = await Promise.race([Promise.resolve().then(() => target.run(input, rng)), hang]);
    if (outcome === 'hang') return `no answer within ${TIME_BOUND_MS} ms`;
  } catch (err) {
    const why = verdict(err, target.codes);
    if (why) return why;
  } finally {
    clearTimeout(timer);
    allocations.stop();
  }
  const took = Date.now() - started;
  if (took > TIME_BOUND_MS) return `took ${took} ms (bound ${TIME_BOUND_MS} ms)`;
  if (allocations.largest > ALLOCATION_BOUND) return `allocated ${allocations.largest} bytes at once for a ${input.length}-byte input\n${allocations.stack}`;
  return undefined;
}

function report(target: Target, runSeed: number, i: number, inputSeed: number, input: Buffer, why: string): string {
  const file = join(tmpdir(), `govc-fuzz-${target.name.replace(/\W+/g, '-')}-${inputSeed.toString(16)}.bin`);
  writeFileSync(file, input);
  return [
    `fuzz ${target.name}: input ${i} of run seed 0x${runSeed.toString(16)} failed: ${why}`,
    `reproduce: GOVC_FUZZ_SEED=0x${inputSeed.toString(16)} node scripts/run-tests.js fuzz/  (it is then the first input)`,
    `input (${input.length} bytes, also in ${file}):`,
    input.length <= 8192 ? hex(input) : `${hex(input.subarray(0, 8192))}...`,
  ].join('\n');
}

/** A bug someone is already fixing: inputs whose failure matches are counted, not failed. */
export interface Known {
  match: RegExp;
  todo: string;
}

export interface FuzzResult {
  inputs: number;
  /** For each known bug hit: how often, and the report of the first input. */
  known: Map<Known, { hits: number; first: string }>;
}

/** Fuzzes one target; throws the report of the first input that fails in an unknown way. */
export async function fuzz(target: Target, known: Known[] = []): Promise<FuzzResult> {
  const hits: FuzzResult['known'] = new Map();
  const runSeed = startSeed ?? (seconds > 0 ? (Math.random() * 2 ** 32) >>> 0 : 1);
  if (seconds > 0) console.log(`fuzz ${target.name}: run seed 0x${runSeed.toString(16)}, ${seconds} s`);
  const deadline = Date.now() + seconds * 1000;
  const rssStart = process.memoryUsage.rss();
  const watchdog = new Watchdog(TIME_BOUND_MS + 3000);
  try {
    let i = 0;
    for (; seconds > 0 ? Date.now() < deadline : i < target.iterations; i++) {
      const inputSeed = (runSeed + Math.imul(i, GOLDEN)) >>> 0;
      const rng = prng(inputSeed);
      const seed = rng.pick(target.seeds);
      const input = target.generate ? target.generate(seed, rng, target.seeds) : mutate(seed, rng, target.seeds, target.dictionary);
      watchdog.arm(`${target.name} input seed 0x${inputSeed.toString(16)}: ${hex(input.subarray(0, 4096))}`);
      const why = (await check(target, input, rng)) ?? rssVerdict(rssStart);
      watchdog.disarm();
      if (!why) continue;
      const text = report(target, runSeed, i, inputSeed, input, why);
      const k = known.find((x) => x.match.test(why));
      if (!k) throw new Error(text);
      const seen = hits.get(k);
      if (seen) seen.hits++;
      else hits.set(k, { hits: 1, first: text });
    }
    return { inputs: i, known: hits };
  } finally {
    watchdog.stop();
  }
}

/** A node:test body: fails on an unknown finding, marks the test todo when only known ones turned up. */
export function fuzzTest(target: Target, known: Known[] = []): (t: TestContext) => Promise<void> {
  return async (t) => {
    const result = await fuzz(target, known);
    t.diagnostic(`${result.inputs} inputs`);
    for (const [k, { hits, first }] of result.known) {
      t.diagnostic(`known bug, ${hits} inputs: ${k.todo}\n${first}`);
      t.todo(k.todo);
    }
  };
}

function rssVerdict(start: number): string | undefined {
  const grown = process.memoryUsage.rss() - start;
  return grown > RSS_BOUND ? `process grew by ${grown >> 20} MiB` : undefined;
}
