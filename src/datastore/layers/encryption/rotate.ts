/**
 * Re-encrypts everything an encryption layer stored under older keys with
 * its current key (the first in the keyring), batch by batch: objects,
 * repositories, users, config. Progress is kept in the store under
 * KEYSPACE.layer after every batch, so an interrupted rotation resumes where
 * it stopped; a run after a finished pass starts a new one (it finds values
 * written since by a process still on the old key file). Audit events are
 * append-only on every store, by design (an audit log that can be rewritten
 * proves nothing): they are counted per key, not rewritten, so the report
 * says which retired keys the key file must keep and which it can drop.
 * Repositories and users are rewritten with ifVersion (their version kept:
 * the content is the same), so a concurrent update is never overwritten.
 */
import type { StoreDriver, WriteOp } from '../../driver.js';
import { ConflictError } from '../../errors.js';
import { ForwardingDriver } from '../../forwarding-driver.js';
import { HybridDriver } from '../../hybrid/hybrid-driver.js';
import { KEYSPACE } from '../../keyspace.js';
import type { JsonObject } from '../../types.js';
import { sealedKeyId } from './aes-gcm.js';
import { EncryptionLayer } from './index.js';

export const ROTATION_KEY = `${KEYSPACE.layer}encryption.rotation`;
const PHASES = ['objects', 'repositories', 'users', 'config', 'events', 'done'] as const;
type Phase = (typeof PHASES)[number];

export interface RotationProgress {
  keyId: string;
  phase: Phase;
  /** The last id, name or key done in this phase. */
  after?: string;
  rewritten: number;
  /** Values left under a key other than the current one, by key id ('plaintext': never encrypted), counted in the events phase. */
  remaining: Record<string, number>;
  /** When done: keys in the keyring, other than the current one, that no value counted needs (they can leave the key file). */
  droppable?: string[];
}

/** What an unencrypted value is counted under in RotationProgress.remaining. */
export const PLAINTEXT = 'plaintext';

export interface RotateOptions {
  batch?: number;
  /** Stop after this many batches (the rest resumes on the next run). */
  maxBatches?: number;
  onProgress?(progress: RotationProgress): void;
}

/** Every encryption layer in a driver stack (a hybrid may have one per role). */
export function findEncryptionLayers(driver: StoreDriver): EncryptionLayer[] {
  if (driver instanceof EncryptionLayer) return [driver, ...findEncryptionLayers(driver.below)];
  if (driver instanceof HybridDriver) return [...findEncryptionLayers(driver.objects), ...findEncryptionLayers(driver.metadata)];
  if (driver instanceof ForwardingDriver) return findEncryptionLayers(driver.wrapped);
  return [];
}

export async function rotateLayer(layer: EncryptionLayer, options: RotateOptions = {}): Promise<RotationProgress> {
  const below = layer.below;
  const codec = layer.valueCodec;
  const current = layer.cipher.keyring.current.id;
  const batch = options.batch ?? 500;
  const isCurrent = (bytes: Uint8Array | undefined) => bytes !== undefined && sealedKeyId(bytes) === current;
  const fieldsCurrent = (values: Array<string | JsonObject>) => values.every((v) => isCurrent(codec.storedBytes(v)));

  const saved = await below.getConfig(ROTATION_KEY);
  const previous = saved ? (JSON.parse(saved) as RotationProgress) : undefined;
  const fresh: RotationProgress = { keyId: current, phase: 'objects', rewritten: 0, remaining: {} };
  // Progress saved before per-key counts (an older version) restarts its pass: the counts would be wrong.
  const progress = previous && previous.keyId === current && previous.phase !== 'done' && previous.remaining ? previous : fresh;
  const save = (ops: WriteOp[]) => below.write([...ops, { op: 'setConfig', key: ROTATION_KEY, value: JSON.stringify(progress) }]);

  /** One batch of the current phase: the ops that rewrite it and the last key seen (undefined: phase done). */
  const step = async (): Promise<{ ops: WriteOp[]; last?: string }> => {
    const after = progress.after;
    switch (progress.phase) {
      case 'objects': {
        const ids = await below.listObjectIds({ prefix: '', after, limit: batch });
        const entries = await below.getEntries(ids);
        const ops: WriteOp[] = [];
        for (const stored of entries.values()) {
          if (!isCurrent(stored.bytes)) ops.push({ op: 'putObject', entry: codec.entry(codec.unentry(stored)), replace: true });
        }
        return { ops, last: ids.at(-1) };
      }
      case 'repositories': {
        const list = await below.listRepositories({ after, offset: 0, limit: batch });
        const ops: WriteOp[] = list
          .filter((r) => !fieldsCurrent([r.description, r.path, r.metadata]))
          .map((r) => ({ op: 'putRepository', repository: codec.repository(codec.repository(r, true)), mode: 'update', ifVersion: r.version }));
        return { ops, last: list.at(-1)?.name };
      }
      case 'users': {
        const list = await below.listUsers({ after, offset: 0, limit: batch });
        const ops: WriteOp[] = list
          .filter((u) => !fieldsCurrent([u.displayName, u.metadata]))
          .map((u) => ({ op: 'putUser', user: codec.user(codec.user(u, true)), mode: 'update', ifVersion: u.version }));
        return { ops, last: list.at(-1)?.username };
      }
      case 'config': {
        const pairs = await below.listConfig({ prefix: '', after, limit: batch });
        const ops: WriteOp[] = pairs
          .filter(([key, value]) => !key.startsWith(KEYSPACE.layer) && !fieldsCurrent([value]))
          .map(([key, value]) => ({ op: 'setConfig', key, value: codec.config(key, codec.config(key, value, true)) }));
        return { ops, last: pairs.at(-1)?.[0] };
      }
      case 'events': {
        const [timestamp, id] = after ? JSON.parse(after) : [undefined, undefined];
        const list = await below.queryEvents({ order: 'asc', offset: 0, limit: batch, ...(id ? { after: { timestamp, id } } : {}) });
        for (const e of list) {
          const stored = codec.storedBytes(e.details);
          const key = stored === undefined ? PLAINTEXT : (sealedKeyId(stored) ?? PLAINTEXT);
          if (key !== current) progress.remaining[key] = (progress.remaining[key] ?? 0) + 1;
        }
        const last = list.at(-1);
        return { ops: [], last: last && JSON.stringify([last.timestamp.getTime(), last.id]) };
      }
      default:
        return { ops: [] };
    }
  };

  for (let batches = 0; progress.phase !== 'done'; batches++) {
    if (options.maxBatches !== undefined && batches >= options.maxBatches) break;
    const before = { ...progress, remaining: { ...progress.remaining } };
    for (let attempt = 1; ; attempt++) {
      const { ops, last } = await step();
      progress.rewritten += ops.length;
      if (last === undefined) {
        progress.phase = PHASES[PHASES.indexOf(progress.phase) + 1];
        delete progress.after;
        if (progress.phase === 'done') progress.droppable = [...layer.cipher.keyring.byId.keys()].filter((id) => id !== current && !progress.remaining[id]);
      } else progress.after = last;
      try {
        await save(ops);
        break;
      } catch (err) {
        // A record changed between our read and rewrite (its version moved): read the batch again.
        Object.assign(progress, before, { remaining: { ...before.remaining } });
        delete progress.droppable;
        if (before.after === undefined) delete progress.after;
        if (!(err instanceof ConflictError) || attempt >= 5) throw err;
      }
    }
    options.onProgress?.({ ...progress });
  }
  return progress;
}
