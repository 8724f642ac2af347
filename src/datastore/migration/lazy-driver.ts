/**
 * A store with `lazy_from: URI`: objects the new store lacks are read from the
 * old one and kept in the new one as they are read, so a cut-over can happen
 * before the copy ends; a background copy brings over the rest. Everything
 * else (repositories, refs, users, events, config) is small beside the objects
 * and is copied when the store opens, before it serves: writes (a ref's
 * compare-and-swap above all) then need nothing from the old store.
 */
import type { KeyRange, StoreDriver } from '../driver.js';
import { ForwardingDriver } from '../forwarding-driver.js';
import { DataStore } from '../store.js';
import type { ObjectEntry, ObjectFormat, ObjectStat } from '../types.js';
import { copyStore } from './copy.js';
import { compareKeys } from './sorted.js';

export class LazyDriver extends ForwardingDriver {
  private stopped = false;
  /** Settles when the background copy ends (done, stopped or failed). */
  background?: Promise<void>;
  backgroundError?: Error;

  constructor(
    inner: StoreDriver,
    private readonly from: StoreDriver,
    private readonly fromId: string,
    private readonly format: ObjectFormat,
    private readonly backgroundCopy: boolean,
  ) {
    super(inner);
  }

  override async open(): Promise<void> {
    // DataStore.open opens the driver: once only (a second open of a server store leaks its first connection)
    const target = new DataStore(this.inner, { objectFormat: this.format });
    const source = new DataStore(this.from, { objectFormat: this.format });
    await Promise.all([target.open(), source.open()]);
    await copyStore(source, target, this.fromId, { kinds: 'records' });
    if (this.backgroundCopy) {
      this.background = copyStore(source, target, this.fromId, { kinds: 'objects', parallel: 1, stop: () => this.stopped }).then(
        () => undefined,
        (err: Error) => void (this.backgroundError = err),
      );
    }
  }

  override async close(): Promise<void> {
    this.stopped = true;
    await this.background;
    await Promise.allSettled([this.inner.close(), this.from.close()]);
  }

  override async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    const found = await this.inner.getEntries(ids);
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length === 0) return found;
    const old = await this.from.getEntries(missing);
    if (old.size > 0) {
      // kept as read: the same entry, so deltas stay deltas (their bases come over when read)
      await this.inner.write([...old.values()].map((entry) => ({ op: 'putObject', entry })));
      for (const [id, e] of old) found.set(id, e);
    }
    return found;
  }

  override async hasObjects(ids: string[]): Promise<boolean[]> {
    const here = await this.inner.hasObjects(ids);
    const ask = ids.filter((_, i) => !here[i]);
    if (ask.length === 0) return here;
    const there = await this.from.hasObjects(ask);
    let j = 0;
    return here.map((h) => h || there[j++]);
  }

  override async statObject(id: string): Promise<ObjectStat | undefined> {
    return (await this.inner.statObject(id)) ?? this.from.statObject(id);
  }

  /** Both stores' ids, merged. */
  override async listObjectIds(range: KeyRange): Promise<string[]> {
    const [a, b] = await Promise.all([this.inner.listObjectIds(range), this.from.listObjectIds(range)]);
    return mergeLimited(a, b, range.limit);
  }

  override async listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    const [a, b] = await Promise.all([this.inner.listDependents(baseId, range), this.from.listDependents(baseId, range)]);
    return mergeLimited(a, b, range.limit);
  }
}

/** Two ascending pages of at most `limit` ids as one: past a full page's last id the other page may lack ids, so it stops there. */
function mergeLimited(a: string[], b: string[], limit: number): string[] {
  const all = [...new Set([...a, ...b])].sort(compareKeys);
  let end = Math.min(all.length, limit);
  for (const page of [a, b]) if (page.length === limit) end = Math.min(end, all.indexOf(page[page.length - 1]) + 1);
  return all.slice(0, end);
}
