/** Saving the memory store to one file on close and loading it on open (v8 serialization keeps Buffers, Dates and Maps). */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { IntegrityError } from '../../errors.js';
import { ensureParentDirectory } from '../../fs-paths.js';
import type { MemoryState } from './state.js';

const MAGIC = 'govc-memory-snapshot-v1';

export function saveSnapshot(path: string, state: MemoryState): void {
  ensureParentDirectory(path);
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, serialize({ magic: MAGIC, state }));
  // Rename is atomic: a crash leaves the old snapshot or the new one, never half of one.
  renameSync(temp, path);
}

export function loadSnapshot(path: string): MemoryState | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = deserialize(bytes) as { magic?: string; state?: MemoryState };
  if (parsed?.magic !== MAGIC || !parsed.state) {
    throw new IntegrityError(`${path} is not a govc memory snapshot; move it away or point the memory store elsewhere`);
  }
  parsed.state.eventIds = new Set(parsed.state.events.map((e) => e.id));
  for (const [id, o] of parsed.state.objects) parsed.state.objects.set(id, { type: o.type, data: Buffer.from(o.data) });
  return parsed.state;
}
