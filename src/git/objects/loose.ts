/** The loose-object encoding: zlib("<type> <size>\0" + data). */
import { deflateSync, inflateSync } from 'node:zlib';
import { IntegrityError } from '../../datastore/errors.js';
import { objectHeader } from '../../datastore/hash.js';
import { OBJECT_TYPES, type GitObject, type ObjectType } from '../../datastore/types.js';

export function decodeLooseObject(compressed: Uint8Array): GitObject {
  const raw = inflateSync(compressed);
  const nul = raw.indexOf(0);
  const header = nul < 0 ? '' : raw.toString('latin1', 0, nul);
  const m = /^([a-z]+) (\d+)$/.exec(header);
  if (!m || !OBJECT_TYPES.includes(m[1] as ObjectType)) throw new IntegrityError(`loose object has a malformed header ${JSON.stringify(header.slice(0, 32))}`);
  const data = raw.subarray(nul + 1);
  if (data.length !== Number(m[2])) throw new IntegrityError(`loose object says ${m[2]} bytes but holds ${data.length}`);
  return { type: m[1] as ObjectType, data };
}

export function encodeLooseObject(object: GitObject): Buffer {
  return deflateSync(Buffer.concat([objectHeader(object.type, object.data.byteLength), object.data]));
}
