/**
 * Partial clone filters (`filter <spec>`, git's --filter): which objects a
 * fetch leaves out. Every spec, `combine:` of several included, reduces to
 * three rules (an object is sent only if every filter of a combine sends it):
 * trees and blobs at a depth at least `depth` (root trees are at 0) are left
 * out, so are objects of the types in `omit`, and blobs of `blobLimit` bytes
 * or more. Objects a client names in its wants are always sent, as git does.
 */
import type { ObjectType } from '../../datastore/types.js';
import { ProtocolError } from './errors.js';

export interface ObjectFilter {
  /** The spec as the client sent it, for logs and audit. */
  spec: string;
  depth: number;
  omit: ReadonlySet<ObjectType>;
  blobLimit: number;
}

const TYPES: readonly ObjectType[] = ['commit', 'tree', 'blob', 'tag'];
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

const bad = (spec: string, why: string) =>
  new ProtocolError(`filter ${JSON.stringify(spec)}: ${why}; supported: blob:none, blob:limit=<n>[kmg], tree:<depth>, object:type=<commit|tree|blob|tag>, combine:<f>+<f>`);

export function parseFilter(spec: string): ObjectFilter {
  const filter = { spec, depth: Infinity, omit: new Set<ObjectType>(), blobLimit: Infinity };
  apply(filter, spec, spec);
  return filter;
}

function apply(into: { depth: number; omit: Set<ObjectType>; blobLimit: number }, part: string, spec: string): void {
  if (part === 'blob:none') {
    into.omit.add('blob');
    return;
  }
  let m = /^blob:limit=(\d+)([kmg]?)$/i.exec(part);
  if (m) {
    into.blobLimit = Math.min(into.blobLimit, Number(m[1]) * UNITS[m[2].toLowerCase()]);
    return;
  }
  m = /^tree:(\d+)$/.exec(part);
  if (m) {
    into.depth = Math.min(into.depth, Number(m[1]));
    return;
  }
  m = /^object:type=(\w+)$/.exec(part);
  if (m) {
    const type = m[1] as ObjectType;
    if (!TYPES.includes(type)) throw bad(spec, `${m[1]} is not an object type`);
    for (const t of TYPES) if (t !== type) into.omit.add(t);
    return;
  }
  if (part.startsWith('combine:')) {
    const subs = part.slice('combine:'.length).split('+');
    if (subs.some((s) => s === '')) throw bad(spec, 'combine: needs filters joined by +');
    for (const sub of subs) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(sub);
      } catch {
        throw bad(spec, `${sub} is not URL-encoded properly`);
      }
      apply(into, decoded, spec);
    }
    return;
  }
  if (part.startsWith('sparse:')) throw bad(spec, 'sparse filters are not supported by this server');
  throw bad(spec, 'unknown filter');
}

/** Whether the filter sends an object of this type at this tree depth (size aside). */
export function sends(filter: ObjectFilter | undefined, type: ObjectType, depth = 0): boolean {
  if (!filter) return true;
  if (filter.omit.has(type)) return false;
  return type === 'commit' || type === 'tag' || depth < filter.depth;
}
