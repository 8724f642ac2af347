/**
 * The pushes that froze the server (issue 19, item 3), built by hand: shared
 * by test/server/hardening-freezes.test.ts (scaled down) and
 * bench/freezes.ts (full size). Each gives the receive-pack request body and
 * what a correct server does with it.
 */
import { buildPack, commitBytes, copyDelta, objectId, pktLine, pushBody, treeBytes, varint, type PackEntry } from './pack-builder.js';
import { zeroId } from '../src/datastore/hash.js';

const ZERO = zeroId();


/**
 * A delta that copies the whole of a 64 KiB base `copies` times: one byte per
 * copy (a copy with no size bytes copies 0x10000), so 14,400 copies (900 MiB)
 * deflate to a few dozen bytes.
 */
export function repeatDelta(copies: number): Buffer {
  return Buffer.concat([Buffer.from([...varint(0x10000), ...varint(copies * 0x10000)]), Buffer.alloc(copies, 0x80)]);
}

/**
 * The delta bomb: a 64 KiB blob of zeros and a ref-delta on it that makes
 * `copies` × 64 KiB (14,400: 900 MiB), then a tree holding the small blob and
 * the tip commit. `bombOnly` is the bomb's two entries alone (185 bytes for 900 MiB).
 */
export function bombPack(copies: number, parent?: string): { pack: Buffer; bombOnly: Buffer; commit: string; resultBytes: number } {
  const base = Buffer.alloc(0x10000);
  const baseId = objectId('blob', base);
  const tree = treeBytes([['100644', 'zeros', baseId]]);
  const commit = commitBytes(objectId('tree', tree), parent ? [parent] : [], 'bomb\n');
  const bomb: PackEntry[] = [{ type: 'blob', data: base }, { refDelta: baseId, delta: repeatDelta(copies) }];
  const pack = buildPack([...bomb, { type: 'tree', data: tree }, { type: 'commit', data: commit }]);
  return { pack, bombOnly: buildPack(bomb), commit: objectId('commit', commit), resultBytes: copies * 0x10000 };
}

/**
 * `n` + 1 blobs of about 1 KiB, sent as a chain of `n` ref-deltas in which each
 * delta comes before its base: delta 0 on blob 1, delta 1 on blob 2, ...,
 * blob n last and whole. Resolving them pass by pass is quadratic; base first
 * is linear. The tip's tree holds blobs 0 and n.
 */
export function chainPack(n: number, parent?: string): { pack: Buffer; commit: string; blobs: string[]; texts: Buffer[] } {
  const common = Buffer.from(Array.from({ length: 32 }, (_, i) => `shared line ${i} of every blob in the chain\n`).join(''));
  const texts = Array.from({ length: n + 1 }, (_, k) => Buffer.concat([common, Buffer.from(`blob ${k} of ${n}\n`)]));
  const ids = texts.map((t) => objectId('blob', t));
  const entries: PackEntry[] = [];
  for (let k = 0; k < n; k++) entries.push({ refDelta: ids[k + 1], delta: copyDelta(texts[k + 1].length, common.length, Buffer.from(`blob ${k} of ${n}\n`)) });
  entries.push({ type: 'blob', data: texts[n] });
  const tree = treeBytes([['100644', 'first', ids[0]], ['100644', 'last', ids[n]]]);
  const commit = commitBytes(objectId('tree', tree), parent ? [parent] : [], 'chain\n');
  entries.push({ type: 'tree', data: tree }, { type: 'commit', data: commit });
  return { pack: buildPack(entries), commit: objectId('commit', commit), blobs: ids, texts };
}

/** One push creating `n` branches (refs/heads/b00000...) at one new commit. */
export function branchesBody(n: number): { body: Buffer<ArrayBuffer>; tip: string; names: string[] } {
  const blob = Buffer.from('one commit for every branch\n');
  const tree = treeBytes([['100644', 'f.txt', objectId('blob', blob)]]);
  const commit = commitBytes(objectId('tree', tree));
  const tip = objectId('commit', commit);
  const pack = buildPack([{ type: 'blob', data: blob }, { type: 'tree', data: tree }, { type: 'commit', data: commit }]);
  const names = Array.from({ length: n }, (_, i) => `refs/heads/b${String(i).padStart(5, '0')}`);
  const body = Buffer.concat([...names.map((r, i) => pktLine(`${ZERO} ${tip} ${r}${i === 0 ? '\0report-status' : ''}\n`)), Buffer.from('0000'), pack]);
  return { body, tip, names };
}

export { pushBody };
