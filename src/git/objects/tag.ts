/** Annotated tag objects: object, type, tag, optional tagger, extra headers, message (with any signature). */
import { IntegrityError } from '../../datastore/errors.js';
import type { ObjectType } from '../../datastore/types.js';
import { formatHeaderBlock, parseHeaderBlock, type Header } from './headers.js';
import { formatIdentity, parseIdentity, type Identity } from './identity.js';
import { decodeExact, encodeText, type TextEncoding } from './text.js';

export interface Tag {
  object: string;
  type: ObjectType;
  name: string;
  tagger: Identity | null;
  extraHeaders: Header[];
  message: string | null;
  textEncoding: TextEncoding;
}

const TYPES = new Set(['blob', 'tree', 'commit', 'tag']);

export function parseTag(data: Uint8Array): Tag {
  const { text, encoding } = decodeExact(data);
  const { headers, message } = parseHeaderBlock(text, 'tag');
  const value = (i: number, key: string): string => {
    const h = headers[i];
    if (!h || h.key !== key || h.value === null) throw new IntegrityError(`tag: expected a ${key} header at line ${i + 1}`);
    return h.value;
  };
  const object = value(0, 'object');
  const type = value(1, 'type');
  if (!TYPES.has(type)) throw new IntegrityError(`tag: unknown object type ${JSON.stringify(type)}`);
  const name = value(2, 'tag');
  let i = 3;
  let tagger: Identity | null = null;
  if (headers[i]?.key === 'tagger' && headers[i].value !== null) tagger = parseIdentity(value(i++, 'tagger'));
  return { object, type: type as ObjectType, name, tagger, extraHeaders: headers.slice(i), message, textEncoding: encoding };
}

export function serializeTag(tag: Tag): Buffer {
  const headers: Header[] = [
    { key: 'object', value: tag.object },
    { key: 'type', value: tag.type },
    { key: 'tag', value: tag.name },
    ...(tag.tagger ? [{ key: 'tagger', value: formatIdentity(tag.tagger) }] : []),
    ...tag.extraHeaders,
  ];
  return encodeText(formatHeaderBlock({ headers, message: tag.message }), tag.textEncoding ?? 'utf8');
}
