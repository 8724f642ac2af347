/**
 * Following annotated tags to the object they finally name: the one place
 * that does it (ref advertisement, fetch walks, revisions and reachability all
 * call this).
 */
import { IntegrityError } from '../../datastore/errors.js';
import type { GitObject, ObjectType } from '../../datastore/types.js';
import { parseTag } from '../objects/tag.js';

/** Tags nested deeper than this are refused (git's own limit is far lower in practice). */
export const MAX_TAG_DEPTH = 32;

export interface Peeled {
  /** The tags met on the way, outermost first (empty when `id` is no tag). */
  tags: string[];
  /** The first object that is not a tag. */
  id: string;
  type: ObjectType;
}

/** Peels `id`; undefined when it, or an object a tag names, is missing. */
export async function peelTags(source: { getObject(id: string): Promise<GitObject | undefined> }, id: string): Promise<Peeled | undefined> {
  const tags: string[] = [];
  for (let depth = 0; depth <= MAX_TAG_DEPTH; depth++) {
    const obj = await source.getObject(id);
    if (!obj) return undefined;
    if (obj.type !== 'tag') return { tags, id, type: obj.type };
    tags.push(id);
    id = parseTag(obj.data).object;
  }
  throw new IntegrityError(`tag chain at ${tags[0]} is deeper than ${MAX_TAG_DEPTH}`, { id: tags[0] });
}
