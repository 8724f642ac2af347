/**
 * Repositories and users: a record with a version, written by lightweight
 * transactions, unique values held by claims, names listed in `listing`.
 * The steps of one put, in the order that keeps every state in between safe:
 * claim the new unique values, add the new listing row, write the record
 * (compare-and-swap on its version: the commit point), then drop the old
 * listing row and release the old claims. A writer stopped half way leaves
 * only claims and rows that readers check against the record and ignore.
 */
import { checkPut, recordError } from '../../conflicts.js';
import type { PutMode } from '../../driver.js';
import { ConflictError } from '../../errors.js';
import type { ClaimKind, Claims } from './claims.js';
import type { Listing, ListingKind } from './listing.js';

export interface Versioned<T> {
  record: T;
  /** The record's own version, kept in a column of its own for the compare-and-swap. */
  version: number;
}

/** Where the records live; every write is a compare-and-swap on the version. */
export interface RecordTable<T extends { version: number }> {
  read(id: string): Promise<Versioned<T> | undefined>;
  /** Writes the record (at its version) if there is none. */
  create(id: string, record: T): Promise<boolean>;
  /** Writes the record (at its version) if the stored version is `expected`. */
  update(id: string, record: T, expected: number): Promise<boolean>;
  remove(id: string, expected: number): Promise<boolean>;
}

export interface RecordShape<T> {
  what: 'repository' | 'user';
  exists(id: string): Error;
  listing: ListingKind;
  idOf(t: T): string;
  nameOf(t: T): string;
  unique: Array<{ kind: ClaimKind; valueOf(t: T): string; taken(t: T): Error }>;
}

/** Undoes a write already applied (for a write of several steps that failed later). */
export type Undo = () => Promise<void>;

export class ClaimedRecords<T extends { version: number }> {
  constructor(
    private readonly table: RecordTable<T>,
    private readonly shape: RecordShape<T>,
    private readonly claims: Claims,
    private readonly listing: Listing,
  ) {}

  get(id: string): Promise<Versioned<T> | undefined> {
    return this.table.read(id);
  }

  /** The record holding `value` of a unique kind, if its claim is live. */
  async byUnique(kind: ClaimKind, value: string): Promise<T | undefined> {
    const holder = await this.claims.holder(kind, value);
    if (holder === undefined) return undefined;
    const found = await this.table.read(holder);
    const u = this.shape.unique.find((x) => x.kind === kind)!;
    return found && u.valueOf(found.record) === value ? found.record : undefined;
  }

  /** Claims are dead when their holder no longer has that value. */
  private staleCheck(kind: ClaimKind, value: string): (holder: string) => Promise<boolean> {
    return async (holder) => (await this.byUnique(kind, value).then((r) => (r ? this.shape.idOf(r) !== holder : true)));
  }

  async put(record: T, mode: PutMode, ifVersion?: number): Promise<Undo> {
    const { what, unique, listing } = this.shape;
    const id = this.shape.idOf(record);
    const existing = await this.table.read(id);
    checkPut(what, id, existing, mode, ifVersion);
    const expected = ifVersion ?? existing?.version;
    const claimed: Array<{ kind: ClaimKind; value: string }> = [];
    const releaseClaimed = async () => {
      for (const c of claimed) await this.claims.release(c.kind, c.value, id);
    };
    for (const u of unique) {
      const value = u.valueOf(record);
      if (existing && u.valueOf(existing.record) === value) continue;
      if (!(await this.claims.claim(u.kind, value, id, this.staleCheck(u.kind, value)))) {
        await releaseClaimed();
        throw u.taken(record);
      }
      claimed.push({ kind: u.kind, value });
    }
    const name = this.shape.nameOf(record);
    const oldName = existing ? this.shape.nameOf(existing.record) : undefined;
    if (name !== oldName) await this.listing.put(listing, name, id);
    const applied = existing ? await this.table.update(id, record, expected!) : await this.table.create(id, record);
    if (!applied) {
      if (name !== oldName) await this.listing.remove(listing, name, id);
      await releaseClaimed();
      const now = await this.table.read(id);
      if (!existing || !now) throw now ? this.shape.exists(id) : recordError({ kind: what === 'repository' ? 'repo-missing' : 'user-missing', id });
      throw recordError({ kind: 'stale-version', record: what, id, expected: expected!, actual: now.version });
    }
    if (existing) await this.dropOld(existing.record, record);
    return async () => {
      const now = await this.table.read(id);
      if (!now) return;
      if (!existing) return void (await this.remove(id));
      // The old record back, at a new version: a reader of the undone one must not mistake it for current.
      const back = { ...existing.record, version: now.version + 1 };
      if (await this.table.update(id, back, now.version)) await this.dropOld(record, back, true);
    };
  }

  /** After a record moved from `before` to `after`: its old listing row and claims go (`reclaim`: and the restored ones come back). */
  private async dropOld(before: T, after: T, reclaim = false): Promise<void> {
    const id = this.shape.idOf(after);
    const oldName = this.shape.nameOf(before);
    if (reclaim) await this.listing.put(this.shape.listing, this.shape.nameOf(after), id);
    if (oldName !== this.shape.nameOf(after)) await this.listing.remove(this.shape.listing, oldName, id);
    for (const u of this.shape.unique) {
      if (u.valueOf(before) === u.valueOf(after)) continue;
      if (reclaim) await this.claims.claim(u.kind, u.valueOf(after), id, async () => false);
      await this.claims.release(u.kind, u.valueOf(before), id);
    }
  }

  /** Deletes the record if there is one; returns what was deleted. */
  async remove(id: string): Promise<T | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const existing = await this.table.read(id);
      if (!existing) return undefined;
      if (!(await this.table.remove(id, existing.version))) continue;
      await this.listing.remove(this.shape.listing, this.shape.nameOf(existing.record), id);
      for (const u of this.shape.unique) await this.claims.release(u.kind, u.valueOf(existing.record), id);
      return existing.record;
    }
    throw new ConflictError(`${this.shape.what} ${id} kept changing while it was being deleted; retry`, { id });
  }

  /**
   * Records in name order from the listing, each checked against its record;
   * `keep` filters, `offset` and `limit` cut.
   */
  async list(prefix: string, after: string | undefined, offset: number, limit: number, keep: (t: T) => boolean): Promise<T[]> {
    const out: T[] = [];
    let skip = offset;
    await this.listing.scan(this.shape.listing, prefix, after, Math.min(1000, Math.max(50, limit + offset)), async (rows) => {
      const found = await Promise.all(rows.map(([, owner]) => this.table.read(owner)));
      rows.forEach(([name], i) => {
        const r = found[i]?.record;
        if (!r || this.shape.nameOf(r) !== name || !keep(r) || out.length >= limit) return;
        if (skip > 0) skip--;
        else out.push(r);
      });
      return out.length < limit;
    });
    return out;
  }
}
