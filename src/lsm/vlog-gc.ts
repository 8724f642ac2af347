/**
 * Value-log garbage collection. A sealed value-log file is read record by
 * record; a record is live when the key's newest entry in the tree is a
 * pointer to exactly that record. Live values are written again as ordinary
 * puts, through the write queue, where liveness is checked once more at
 * commit time (a user write in between wins). Then the manifest drops the
 * file, and it is deleted once no snapshot older than the rewrite remains.
 */
import { Kind } from './coding.js';
import type { Core } from './core.js';
import type { WalOp } from './wal.js';
import { decodePointer, type ValuePointer, type VlogRecord } from './vlog.js';
import type { WriteQueue } from './write-queue.js';

const CHUNK_BYTES = 1024 ** 2;

function isLive(c: Core, key: Buffer, p: ValuePointer): boolean {
  const e = c.getEntry(key, c.lastSeq);
  if (!e || e.kind !== Kind.Pointer) return false;
  const q = decodePointer(e.value);
  return q.file === p.file && q.offset === p.offset;
}

/** A sealed file the compactions have found to be mostly garbage. */
export function gcCandidate(c: Core): number | undefined {
  for (const [file, bytes] of c.discard) {
    const f = c.vlogs.get(file);
    if (!f) {
      c.discard.delete(file);
      continue;
    }
    if (file !== c.vlog.number && bytes >= c.options.vlogGcDiscardRatio * f.size) return file;
  }
  return undefined;
}

/** The fraction of a file's bytes that no key points to any more. */
export function measureGarbage(c: Core, file: number): number {
  const f = c.vlogs.get(file);
  if (!f || f.size === 0) return 0;
  let live = 0;
  for (const { pointer, record } of f.records()) if (isLive(c, record.key, pointer)) live += pointer.length;
  return 1 - live / f.size;
}

export async function rewriteVlog(c: Core, file: number, queue: WriteQueue): Promise<void> {
  const f = c.vlogs.get(file);
  if (!f) return;
  let chunk: Array<{ pointer: ValuePointer; record: VlogRecord }> = [];
  let bytes = 0;
  const submit = async () => {
    const items = chunk;
    chunk = [];
    bytes = 0;
    const build = (): WalOp[] =>
      items.filter((r) => isLive(c, r.record.key, r.pointer)).map((r) => {
        c.stats.vlogGcRewrittenBytes += r.pointer.length;
        return { kind: Kind.Value, key: Buffer.from(r.record.key), value: Buffer.from(r.record.value) };
      });
    await queue.submitBuilt(build, c.options.sync);
  };
  for (const r of f.records()) {
    if (c.closed) return;
    chunk.push(r);
    bytes += r.pointer.length;
    if (bytes >= CHUNK_BYTES) await submit();
  }
  if (c.closed) return;
  if (chunk.length > 0) await submit();
  await c.manifest.apply({ removeVlog: [file] });
  c.discard.delete(file);
  c.stats.vlogGcRuns++;
  c.retireVlog(file, c.lastSeq);
}

/** Rewrites every sealed file with at least `minDiscard` garbage; returns how many. */
export async function gcValueLog(c: Core, minDiscard: number, queue: WriteQueue): Promise<number> {
  let rewritten = 0;
  for (const file of [...c.vlogs.keys()]) {
    if (file === c.vlog.number || c.closed) continue;
    if (measureGarbage(c, file) >= minDiscard) {
      await rewriteVlog(c, file, queue);
      rewritten++;
    }
  }
  return rewritten;
}
