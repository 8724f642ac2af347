/** Chunked range scans: chunk sizes, and flattening for callers that want entries one by one. */
import type { KvEngine, KvEntry, KvRange } from './engine.js';

const FIRST_CHUNK = 16;
const MAX_CHUNK = 1000;

/** The next chunk to ask for, given the previous one and how many entries the range may still return. */
export function nextChunk(previous: number | undefined, remaining: number): number {
  const size = previous === undefined ? FIRST_CHUNK : Math.min(previous * 4, MAX_CHUNK);
  return Math.max(1, Math.min(size, remaining));
}

/** The entries of engine.scan() one by one. */
export async function* eachEntry(engine: KvEngine, range: KvRange): AsyncGenerator<KvEntry> {
  for await (const chunk of engine.scan(range)) yield* chunk;
}
