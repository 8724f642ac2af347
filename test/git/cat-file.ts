/** Every object of a repository as git sees it (`git cat-file --batch-all-objects --batch`). */
import type { ObjectType } from '../../src/datastore/types.js';
import { gitBuffer } from '../../support/git.js';

export interface CatObject {
  id: string;
  type: ObjectType;
  data: Buffer;
}

export function allObjects(dir: string): CatObject[] {
  const out = gitBuffer(dir, ['cat-file', '--batch-all-objects', '--batch', '--unordered']);
  const objects: CatObject[] = [];
  let pos = 0;
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    const [id, type, size] = out.toString('latin1', pos, nl).split(' ');
    const start = nl + 1;
    objects.push({ id, type: type as ObjectType, data: out.subarray(start, start + Number(size)) });
    pos = start + Number(size) + 1;
  }
  return objects;
}
