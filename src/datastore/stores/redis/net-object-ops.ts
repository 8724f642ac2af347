/** What a write's object ops amount to, per id, so each shard gets one put or delete of it. */
import type { WriteOp } from '../../driver.js';
import type { EntryPut } from './objects.js';

/**
 * Applied in op order: a put keeps an entry already there (an earlier put of
 * the write included) unless it replaces; a put after a delete replaces.
 */
export function netObjectOps(ops: WriteOp[]): { puts: EntryPut[]; deletes: string[] } {
  const net = new Map<string, EntryPut | null>();
  for (const op of ops) {
    if (op.op === 'deleteObject') net.set(op.id, null);
    else if (op.op === 'putObject') {
      const earlier = net.get(op.entry.id);
      if (earlier && !op.replace) continue;
      net.set(op.entry.id, { entry: op.entry, replace: op.replace === true || earlier === null });
    }
  }
  const puts: EntryPut[] = [];
  const deletes: string[] = [];
  for (const [id, put] of net) {
    if (put) puts.push(put);
    else deletes.push(id);
  }
  return { puts, deletes };
}
