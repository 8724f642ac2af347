/** The shape of an encoded entry handed to putEntries: checked before any driver sees it. */
import { InvalidArgumentError } from '../errors.js';
import type { ObjectEntry, ObjectFormat } from '../types.js';
import { checkObjectId, checkObjectType } from '../validate.js';
import { deltaParts, ENCODING, MAX_DELTA_DEPTH } from './encoding.js';

export function checkEntry(e: ObjectEntry, format: ObjectFormat): void {
  if (!e || typeof e !== 'object') throw new InvalidArgumentError('an entry must be {id, type, size, encoding, base, bytes}');
  checkObjectId(e.id, format);
  checkObjectType(e.type);
  if (!Number.isSafeInteger(e.size) || e.size < 0) throw new InvalidArgumentError(`entry ${e.id}: size must be a non-negative integer; got ${String(e.size)}`);
  if (!(e.bytes instanceof Uint8Array) || e.bytes.byteLength === 0) throw new InvalidArgumentError(`entry ${e.id}: bytes must be a non-empty Uint8Array`);
  if (e.encoding === ENCODING.whole) {
    if (e.base !== null) throw new InvalidArgumentError(`entry ${e.id}: a whole entry has no base`);
    return;
  }
  if (e.encoding !== ENCODING.delta) throw new InvalidArgumentError(`entry ${e.id}: encoding must be ${ENCODING.whole} (whole) or ${ENCODING.delta} (delta); got ${String(e.encoding)}`);
  checkObjectId(e.base, format);
  if (e.base === e.id) throw new InvalidArgumentError(`entry ${e.id} cannot be a delta on itself`);
  const { depth } = deltaParts(e);
  if (depth < 1 || depth > MAX_DELTA_DEPTH) throw new InvalidArgumentError(`entry ${e.id}: delta chain depth ${depth} is outside 1..${MAX_DELTA_DEPTH}; store it whole`);
}
