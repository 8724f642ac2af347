/**
 * A received pack laid over a store, for the checks of a push (fast-forward,
 * connectivity, the types of links) before anything is stored: its objects
 * are seen here and nowhere else. Only when the push is accepted are its
 * entries stored (storePackEntries); a refused or interrupted push leaves
 * nothing behind but its temporary file, which close() removes.
 */
import type { DataStore } from '../../datastore/store.js';
import type { GitObject, ObjectFormat, ObjectStat } from '../../datastore/types.js';
import type { IndexedEntry } from '../pack/index-pack.js';
import type { ReceivedPack } from '../pack/receive-pack.js';
import type { WalkSource } from '../store/object-reader.js';

export class QuarantinedObjects implements WalkSource {
  private readonly byId = new Map<string, IndexedEntry>();

  constructor(
    private readonly store: DataStore,
    readonly pack: ReceivedPack,
  ) {
    for (const e of pack.entries) if (!this.byId.has(e.id)) this.byId.set(e.id, e);
  }

  get objectFormat(): ObjectFormat {
    return this.store.objectFormat;
  }

  /** The pack's entry of an object, if the pack holds it. */
  entry(id: string): IndexedEntry | undefined {
    return this.byId.get(id);
  }

  async getObject(id: string): Promise<GitObject | undefined> {
    const e = this.byId.get(id);
    return e ? this.pack.readAt(e.offset) : this.store.getObject(id);
  }

  async getObjects(ids: string[]): Promise<Map<string, GitObject>> {
    const outside = ids.filter((id) => !this.byId.has(id));
    const out = outside.length ? await this.store.getObjects(outside) : new Map<string, GitObject>();
    for (const id of ids) {
      const e = this.byId.get(id);
      if (e) out.set(id, await this.pack.readAt(e.offset));
    }
    return out;
  }

  async statObject(id: string): Promise<ObjectStat | undefined> {
    const e = this.byId.get(id);
    return e ? { id, type: e.type, size: e.size } : this.store.statObject(id);
  }

  async hasObjects(ids: string[]): Promise<boolean[]> {
    const outside = ids.filter((id) => !this.byId.has(id));
    const present = outside.length ? await this.store.hasObjects(outside) : [];
    let k = 0;
    return ids.map((id) => this.byId.has(id) || present[k++]);
  }
}
