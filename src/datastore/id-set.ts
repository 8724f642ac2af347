/**
 * A set of object ids for walks over millions of objects: the ids in an
 * IdList (raw bytes, insertion order), found through an open-addressing
 * table of their positions (4 bytes a slot, at most half full). About 28
 * bytes per SHA-1 id, where a Set of hex strings costs ~100. Ids are
 * lowercase hex, as everywhere in govc (uppercase parses to the same id).
 */
import { idHash, IdList } from './id-list.js';

/** What a walk asks of the ids it has seen: a Set<string> or an IdSet. */
export interface IdMembership {
  has(id: string): boolean;
}

/** What a walk fills as it goes: `add` says whether the id is new, in one lookup. */
export interface SeenIds extends IdMembership {
  add(id: string): boolean;
}

const EMPTY = 0;

export class IdSet implements SeenIds, Iterable<string> {
  /** The ids, by position: the order they were first added. */
  readonly ids: IdList;
  /** Position + 1 of the id in each slot; EMPTY where none. */
  private slots: Uint32Array;
  private mask: number;
  private readonly key = Buffer.alloc(32);

  /** `expected`: ids room is made for at first (it grows past that). */
  constructor(expected = 1024) {
    let size = 16;
    while (size < expected * 2) size *= 2;
    this.slots = new Uint32Array(size);
    this.mask = size - 1;
    this.ids = new IdList(Math.max(16, expected));
  }

  get size(): number {
    return this.ids.length;
  }

  /** Adds `id`; true when it was not in the set. Throws on what is not a hex id. */
  add(id: string): boolean {
    const before = this.size;
    this.insert(id);
    return this.size > before;
  }

  /** Adds `id` when new; returns its position either way. */
  insert(id: string): number {
    if (!this.ids.parse(id, this.key)) throw new RangeError(`not an object id: ${id}`);
    const slot = this.find();
    if (this.slots[slot] !== EMPTY) return this.slots[slot] - 1;
    const pos = this.ids.pushRaw(this.key);
    this.slots[slot] = pos + 1;
    if (this.size * 2 > this.slots.length) this.grow();
    return pos;
  }

  has(id: string): boolean {
    return this.indexOf(id) >= 0;
  }

  /** The position of `id` (the order it was added in), or -1. */
  indexOf(id: string): number {
    if (this.size === 0 || !this.ids.parse(id, this.key)) return -1;
    return this.slots[this.find()] - 1;
  }

  idAt(i: number): string {
    return this.ids.at(i);
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.size; i++) yield this.ids.at(i);
  }

  /** The slot holding the id in `key`, or the empty slot where it would go (linear probing). */
  private find(): number {
    const { slots, mask, ids, key } = this;
    for (let s = this.hashOfKey() & mask; ; s = (s + 1) & mask) {
      const v = slots[s];
      if (v === EMPTY || ids.matches(v - 1, key)) return s;
    }
  }

  private hashOfKey(): number {
    return idHash(this.key, 0, this.ids.idBytes);
  }

  private grow(): void {
    const slots = new Uint32Array(this.slots.length * 2);
    const mask = slots.length - 1;
    for (let pos = 0; pos < this.size; pos++) {
      let s = this.ids.hashAt(pos) & mask;
      while (slots[s] !== EMPTY) s = (s + 1) & mask;
      slots[s] = pos + 1;
    }
    this.slots = slots;
    this.mask = mask;
  }
}
