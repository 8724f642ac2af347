/**
 * A SendList as bytes, for keeping it on disk: a JSON head (what it is for),
 * the raw ids, a type byte each, a name index each (-1: none), the distinct
 * names (latin1, NUL-separated: tree entry names hold no NUL), and a SHA-1
 * of all that before it, so a truncated or damaged file is refused, never
 * half read. About 25 bytes an object.
 */
import { createHash } from 'node:crypto';
import { IntegrityError } from '../../datastore/errors.js';
import { OBJECT_TYPES } from '../../datastore/types.js';
import { SendList } from './send-list.js';

const MAGIC = Buffer.from('GOVCSL1\n');
const CHECKSUM_BYTES = 20;

/** The file's parts, in order (written apart: a list of a million objects is not copied into one buffer again). */
export function encodeSendList(list: SendList, head: Record<string, unknown>): Buffer[] {
  const n = list.length;
  const width = list.ids.ids.idBytes;
  const ids = Buffer.allocUnsafe(n * width);
  const types = Buffer.allocUnsafe(n);
  const names = Buffer.allocUnsafe(n * 4);
  const nameNumbers = new Map<string, number>();
  const nameList: string[] = [];
  for (let i = 0; i < n; i++) {
    const o = list.at(i);
    list.ids.ids.copyTo(i, ids, i * width);
    types[i] = OBJECT_TYPES.indexOf(o.type);
    let k = -1;
    if (o.name !== undefined) {
      k = nameNumbers.get(o.name) ?? -1;
      if (k < 0) nameNumbers.set(o.name, (k = nameList.push(o.name) - 1));
    }
    names.writeInt32LE(k, i * 4);
  }
  const headBytes = Buffer.from(JSON.stringify({ ...head, count: n, width, names: nameList.length }));
  const size = Buffer.alloc(4);
  size.writeUInt32LE(headBytes.length);
  const parts = [MAGIC, size, headBytes, ids, types, names, Buffer.from(nameList.join('\0'), 'latin1')];
  const checksum = createHash('sha1');
  for (const p of parts) checksum.update(p);
  return [...parts, checksum.digest()];
}

/** The list and its head; an IntegrityError for bytes that are not a whole list. */
export function decodeSendList(bytes: Buffer): { list: SendList; head: Record<string, unknown> } {
  const bad = (why: string) => new IntegrityError(`a stored object list is damaged (${why})`);
  if (bytes.length < MAGIC.length + 4 + CHECKSUM_BYTES || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw bad('not a list');
  const body = bytes.subarray(0, bytes.length - CHECKSUM_BYTES);
  if (!createHash('sha1').update(body).digest().equals(bytes.subarray(body.length))) throw bad('checksum');
  const headEnd = MAGIC.length + 4 + body.readUInt32LE(MAGIC.length);
  const head = JSON.parse(body.toString('utf8', MAGIC.length + 4, headEnd)) as Record<string, unknown>;
  const { count: n, width, names: nameCount } = head as { count: number; width: number; names: number };
  if (!Number.isSafeInteger(n) || (n > 0 && width !== 20 && width !== 32)) throw bad('head');
  const idsAt = headEnd;
  const typesAt = idsAt + n * width;
  const namesAt = typesAt + n;
  const textAt = namesAt + n * 4;
  if (textAt > body.length) throw bad('short');
  const nameList = nameCount > 0 ? body.toString('latin1', textAt).split('\0') : [];
  if (nameList.length !== nameCount) throw bad('names');
  const list = new SendList(n);
  for (let i = 0; i < n; i++) {
    const type = OBJECT_TYPES[body[typesAt + i]];
    const k = body.readInt32LE(namesAt + i * 4);
    if (!type || k >= nameList.length) throw bad('entry');
    list.push(body.toString('hex', idsAt + i * width, idsAt + (i + 1) * width), type, k < 0 ? undefined : nameList[k]);
  }
  if (list.length !== n) throw bad('repeated ids');
  return { list, head };
}
