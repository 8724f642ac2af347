/**
 * The objects of a pack to write, in pack order, without an object per
 * entry: ids in an IdSet (once each: a second push of an id is dropped),
 * types in a byte each, delta-hint names as an index into the distinct
 * names (a repository has far fewer names than objects). About 33 bytes an
 * object where an array of {id, type, name} held ~250 with its strings.
 */
import { IdSet } from '../../datastore/id-set.js';
import { OBJECT_TYPES, type ObjectType } from '../../datastore/types.js';

export interface SendObject {
  id: string;
  type: ObjectType;
  /** Delta hint for objects built afresh (the path or entry name). */
  name?: string;
}

const NO_NAME = -1;

export class SendList implements Iterable<SendObject> {
  readonly ids: IdSet;
  private types: Uint8Array;
  private names: Int32Array;
  private readonly nameIndex = new Map<string, number>();
  private readonly nameList: string[] = [];

  constructor(expected = 1024) {
    this.ids = new IdSet(expected);
    this.types = new Uint8Array(Math.max(16, expected));
    this.names = new Int32Array(Math.max(16, expected));
  }

  static from(objects: Iterable<SendObject>): SendList {
    const list = new SendList();
    for (const o of objects) list.push(o.id, o.type, o.name);
    return list;
  }

  get length(): number {
    return this.ids.size;
  }

  /** Appends an object; false (and nothing changes) when its id is in the list already. */
  push(id: string, type: ObjectType, name?: string): boolean {
    const pos = this.length;
    if (this.ids.insert(id) !== pos) return false;
    if (pos === this.types.length) {
      this.types = grown(this.types, new Uint8Array(pos * 2));
      this.names = grown(this.names, new Int32Array(pos * 2));
    }
    this.types[pos] = OBJECT_TYPES.indexOf(type);
    this.names[pos] = name === undefined ? NO_NAME : this.nameNumber(name);
    return true;
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  /** The position of `id`, or -1. */
  indexOf(id: string): number {
    return this.ids.indexOf(id);
  }

  idAt(i: number): string {
    return this.ids.idAt(i);
  }

  typeAt(i: number): ObjectType {
    return OBJECT_TYPES[this.types[i]];
  }

  at(i: number): SendObject {
    const n = this.names[i];
    return n === NO_NAME ? { id: this.idAt(i), type: this.typeAt(i) } : { id: this.idAt(i), type: this.typeAt(i), name: this.nameList[n] };
  }

  *[Symbol.iterator](): Iterator<SendObject> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  private nameNumber(name: string): number {
    let n = this.nameIndex.get(name);
    if (n === undefined) {
      n = this.nameList.push(name) - 1;
      this.nameIndex.set(name, n);
    }
    return n;
  }
}

function grown<T extends Uint8Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}
