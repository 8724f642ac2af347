/**
 * Tree objects: entries of `<mode> <name>\0<raw id>`. Names are bytes (Buffer):
 * git paths need not be UTF-8, so they are never decoded here.
 */
import { IntegrityError } from '../../datastore/errors.js';
import type { ObjectFormat } from '../../datastore/types.js';
import { isTreeMode } from './modes.js';
import { asBuffer } from './text.js';

export interface TreeEntry {
  /** As stored, e.g. "100644", "40000". */
  mode: string;
  name: Buffer;
  id: string;
}

const RAW_LENGTH: Record<ObjectFormat, number> = { sha1: 20, sha256: 32 };

export function parseTree(data: Uint8Array, format: ObjectFormat = 'sha1'): TreeEntry[] {
  const buf = asBuffer(data);
  const idBytes = RAW_LENGTH[format];
  const entries: TreeEntry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const space = buf.indexOf(0x20, pos);
    const nul = space < 0 ? -1 : buf.indexOf(0, space + 1);
    if (space < 0 || nul < 0 || nul + 1 + idBytes > buf.length) throw new IntegrityError(`tree: malformed entry at byte ${pos}`);
    entries.push({
      mode: buf.toString('latin1', pos, space),
      name: Buffer.from(buf.subarray(space + 1, nul)),
      id: buf.toString('hex', nul + 1, nul + 1 + idBytes),
    });
    pos = nul + 1 + idBytes;
  }
  return entries;
}

/** Serializes entries in the order given (use sortTreeEntries for new trees). */
export function serializeTree(entries: readonly TreeEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    parts.push(Buffer.from(`${e.mode} `, 'latin1'), e.name, Buffer.from([0]), Buffer.from(e.id, 'hex'));
  }
  return Buffer.concat(parts);
}

/** Git's order: byte order of names, a tree's name compared as if it ended with "/". */
function compareTreeEntries(a: TreeEntry, b: TreeEntry): number {
  const len = Math.min(a.name.length, b.name.length);
  const c = a.name.compare(b.name, 0, len, 0, len);
  if (c !== 0) return c;
  const ca = a.name.length > len ? a.name[len] : isTreeMode(a.mode) ? 0x2f : 0;
  const cb = b.name.length > len ? b.name[len] : isTreeMode(b.mode) ? 0x2f : 0;
  return ca - cb;
}

export function sortTreeEntries(entries: TreeEntry[]): TreeEntry[] {
  return entries.sort(compareTreeEntries);
}
