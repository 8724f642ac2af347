/** Saving the memory store to one file on close and loading it on open (v8 serialization keeps Buffers, Dates and Maps). */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { IntegrityError } from '../../errors.js';
import { ensureParentDirectory } from '../../fs-paths.js';
import { ENCODING } from '../../objects/encoding.js';
import type { GitObject, ObjectEntry } from '../../types.js';
import type { MemoryState } from './state.js';

/** v2 keeps encoded entries; v1 (whole objects as they are) still loads, as raw entries. */
const MAGIC = 'govc-memory-snapshot-v2';
const MAGIC_V1 = 'govc-memory-snapshot-v1';

export function saveSnapshot(path: string, state: MemoryState): void {
  ensureParentDirectory(path);
  const temp = `${path}.tmp-${process.pid}`;
  const { dependents: _derived, ...saved } = state;
  writeFileSync(temp, serialize({ magic: MAGIC, state: saved }));
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
  if ((parsed?.magic !== MAGIC && parsed?.magic !== MAGIC_V1) || !parsed.state) {
    throw new IntegrityError(`${path} is not a govc memory snapshot; move it away or point the memory store elsewhere`);
  }
  const state = parsed.state;
  state.eventIds = new Set(state.events.map((e) => e.id));
  state.dependents = new Map();
  for (const [id, o] of state.objects) {
    const entry: ObjectEntry =
      parsed.magic === MAGIC_V1
        ? { id, type: o.type, size: (o as unknown as GitObject).data.byteLength, encoding: ENCODING.raw, base: null, bytes: Buffer.from((o as unknown as GitObject).data) }
        : { ...o, bytes: Buffer.from(o.bytes) };
    state.objects.set(id, entry);
    if (entry.base) addDependent(state, entry.base, id);
  }
  return state;
}

export function addDependent(state: MemoryState, base: string, id: string): void {
  let set = state.dependents.get(base);
  if (!set) state.dependents.set(base, (set = new Set()));
  set.add(id);
}

export function removeDependent(state: MemoryState, base: string, id: string): void {
  const set = state.dependents.get(base);
  if (!set) return;
  set.delete(id);
  if (set.size === 0) state.dependents.delete(base);
}
