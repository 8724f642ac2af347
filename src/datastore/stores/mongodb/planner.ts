/**
 * Turns a write's ops into commit-log mutations, checking every
 * compare-and-swap, put mode and uniqueness rule against one snapshot with
 * the write's own earlier ops laid over it. The commit log then makes the
 * checks and the mutations one atomic step: if another commit lands first,
 * the plan is made again on the new snapshot.
 */
import type { PutMode, WriteOp } from '../../driver.js';
import { checkPut, recordError } from '../../conflicts.js';
import { ConflictError } from '../../errors.js';
import { planRefUpdates } from '../../refs.js';
import type { AuditEvent, ObjectEntry, Ref, Repository, User } from '../../types.js';
import type { Mutation, RecordMutation } from './collections.js';
import {
  decodeRef,
  decodeRepository,
  decodeUser,
  encodeRef,
  encodeRepository,
  encodeUser,
  hexKey,
  repositoryFields,
  userFields,
  type RecordDoc,
  type RecordFields,
  type RecordKind,
} from './records.js';
import type { Plan } from './commit-log.js';
import type { Snapshot } from './snapshot.js';

interface Pending {
  c: RecordKind;
  g: string;
  k: string;
  v: string | null;
  f?: RecordFields;
  old?: string | null;
}

/** What a write does to objects, by id: the last op on each id wins. */
export type ObjectPlan = Map<string, { entry: ObjectEntry; replace: boolean } | null>;

/** Splits object ops (stored directly) from the rest (planned against snapshots). */
export function planObjects(ops: WriteOp[]): { objects: ObjectPlan; rest: WriteOp[] } {
  const objects: ObjectPlan = new Map();
  const rest: WriteOp[] = [];
  for (const op of ops) {
    if (op.op === 'putObject') {
      const before = objects.get(op.entry.id);
      // A put after a delete of the same id in one write stores the new entry.
      objects.set(op.entry.id, { entry: op.entry, replace: Boolean(op.replace) || before === null });
    } else if (op.op === 'deleteObject') objects.set(op.id, null);
    else rest.push(op);
  }
  return { objects, rest };
}

/** Records per listing page in a plan: each page makes FerretDB 1.24 read and sort every row of the kind. */
const LIST_PAGE = 5000;

const slot = (c: RecordKind, g: string, k: string) => `${c}${JSON.stringify([g, k])}`;

export class Planner {
  private readonly pending = new Map<string, Pending>();
  private readonly events: AuditEvent[] = [];
  private readonly eventIds = new Set<string>();
  /** Versions read from the snapshot, so the mutations name what they supersede without reading again. */
  private readonly read = new Map<string, RecordDoc | undefined>();
  /** Refs a compare-and-swap checked, and the target it expected (null: absent). */
  private readonly expected = new Map<string, { repositoryId: string; name: string; old: string | null }>();
  /** Kinds this plan looked up by query (names, emails, ref lists) rather than by key. */
  private readonly queried = new Set<RecordKind | 'e'>();

  constructor(private readonly snap: Snapshot) {}

  /** The record's value after the ops planned so far: pending, else the snapshot's. */
  private async value(c: RecordKind, g: string, k: string): Promise<string | undefined> {
    const p = this.pending.get(slot(c, g, k));
    if (p) return p.v ?? undefined;
    return (await this.stored(c, g, k))?.v;
  }

  private async stored(c: RecordKind, g: string, k: string): Promise<RecordDoc | undefined> {
    const key = slot(c, g, k);
    if (!this.read.has(key)) this.read.set(key, await this.snap.record(c, g, k));
    return this.read.get(key);
  }

  /** Reads the snapshot's versions of many records in a few queries, not one each (see by-key.ts). */
  private async prefetch(c: RecordKind, g: string, keys: Iterable<string>): Promise<void> {
    const missing = [...new Set(keys)].filter((k) => !this.read.has(slot(c, g, k)));
    const found = await this.snap.records(c, g, missing);
    for (const k of missing) this.read.set(slot(c, g, k), undefined);
    this.remember(found);
  }

  /** Versions a listing returned: the plan need not read them again. */
  private remember(docs: RecordDoc[]): void {
    for (const doc of docs) this.read.set(slot(doc.c, doc.g, doc.k), doc);
  }

  private set(p: Pending): void {
    const key = slot(p.c, p.g, p.k);
    const before = this.pending.get(key);
    // The first change keeps the value before the write, for change events.
    this.pending.set(key, before && 'old' in before ? { ...p, old: before.old } : p);
  }

  private async repository(id: string): Promise<Repository | undefined> {
    const v = await this.value('p', '', id);
    return v === undefined ? undefined : decodeRepository(v);
  }

  private async ref(repositoryId: string, name: string): Promise<Ref | undefined> {
    const v = await this.value('r', repositoryId, name);
    return v === undefined ? undefined : decodeRef(name, v);
  }

  /** The id holding a unique field value, pending writes first. */
  private async holder(c: 'p' | 'u', field: 'name' | 'email', value: string): Promise<string | undefined> {
    this.queried.add(c);
    for (const p of this.pending.values()) if (p.c === c && p.v !== null && p.f?.[field] === value) return p.k;
    const found = c === 'p' ? await this.snap.getRepositoryByName(value) : await this.snap.getUserBy(field, value);
    if (!found || this.pending.has(slot(c, '', found.id))) return undefined;
    return found.id;
  }

  async apply(ops: WriteOp[]): Promise<void> {
    for (const op of ops) await this.applyOne(op);
  }

  private async applyOne(op: WriteOp): Promise<void> {
    switch (op.op) {
      case 'updateRefs': {
        if (!(await this.repository(op.repositoryId))) {
          throw recordError({ kind: 'refs-repo-missing', id: op.repositoryId });
        }
        const current = new Map<string, Ref | undefined>();
        await this.prefetch('r', op.repositoryId, op.updates.map((u) => u.name));
        for (const u of op.updates) {
          current.set(u.name, await this.ref(op.repositoryId, u.name));
          const key = slot('r', op.repositoryId, u.name);
          if (u.old !== undefined && !this.pending.has(key)) this.expected.set(key, { repositoryId: op.repositoryId, name: u.name, old: u.old });
        }
        for (const change of planRefUpdates(op.repositoryId, op.updates, current)) {
          const old = current.get(change.name)?.target ?? null;
          this.set({ c: 'r', g: op.repositoryId, k: change.name, v: change.ref && encodeRef(change.ref), f: { kx: hexKey(change.name) }, old });
        }
        return;
      }
      case 'putRepository':
        return this.putRepository(op.repository, op.mode, op.ifVersion);
      case 'deleteRepository': {
        if (!(await this.repository(op.id))) return;
        this.set({ c: 'p', g: '', k: op.id, v: null });
        for await (const name of this.refNames(op.id)) {
          const old = (await this.ref(op.id, name))?.target ?? null;
          this.set({ c: 'r', g: op.id, k: name, v: null, old });
        }
        return;
      }
      case 'putUser':
        return this.putUser(op.user, op.mode, op.ifVersion);
      case 'deleteUser':
        if (await this.value('u', '', op.id)) this.set({ c: 'u', g: '', k: op.id, v: null });
        return;
      case 'appendEvent':
        this.queried.add('e');
        if (this.eventIds.has(op.event.id) || (await this.snap.eventExists(op.event.id))) {
          throw recordError({ kind: 'event-exists', id: op.event.id });
        }
        this.eventIds.add(op.event.id);
        this.events.push(op.event);
        return;
      case 'deleteConfigPrefix':
        for await (const key of this.configKeys(op.prefix)) this.set({ c: 'c', g: '', k: key, v: null });
        return;
      case 'setConfig':
        if (op.value === null && (await this.value('c', '', op.key)) === undefined) return;
        this.set({ c: 'c', g: '', k: op.key, v: op.value === null ? null : JSON.stringify(op.value), f: { kx: hexKey(op.key) } });
        return;
      case 'putObject':
      case 'deleteObject':
        return; // stored directly: see planObjects
    }
  }

  /** Every ref name of a repository: stored ones page by page, then pending ones. */
  private async *refNames(repositoryId: string): AsyncGenerator<string> {
    this.queried.add('r');
    const seen = new Set<string>();
    for (let after: string | undefined; ; ) {
      const page = await this.snap.refRecords(repositoryId, { prefix: '', after, limit: LIST_PAGE });
      this.remember(page);
      for (const r of page) {
        seen.add(r.k);
        yield r.k;
      }
      if (page.length < LIST_PAGE) break;
      after = page[page.length - 1].k;
    }
    for (const p of [...this.pending.values()]) if (p.c === 'r' && p.g === repositoryId && !seen.has(p.k)) yield p.k;
  }

  /** Every config key with the prefix: stored ones page by page, then pending ones. */
  private async *configKeys(prefix: string): AsyncGenerator<string> {
    this.queried.add('c');
    const seen = new Set<string>();
    for (let after: string | undefined; ; ) {
      const page = await this.snap.configRecords({ prefix, after, limit: LIST_PAGE });
      this.remember(page);
      for (const { k: key } of page) {
        seen.add(key);
        if (!this.pending.has(slot('c', '', key))) yield key;
      }
      if (page.length < LIST_PAGE) break;
      after = page[page.length - 1].k;
    }
    for (const p of [...this.pending.values()]) if (p.c === 'c' && p.v !== null && p.k.startsWith(prefix) && !seen.has(p.k)) yield p.k;
    for (const p of [...this.pending.values()]) if (p.c === 'c' && p.v !== null && p.k.startsWith(prefix) && seen.has(p.k)) yield p.k;
  }

  private async putRepository(repo: Repository, mode: PutMode, ifVersion: number | undefined): Promise<void> {
    const stored = await this.repository(repo.id);
    checkPut('repository', repo.id, stored, mode, ifVersion);
    const holder = await this.holder('p', 'name', repo.name);
    if (holder !== undefined && holder !== repo.id) throw recordError({ kind: 'repo-name', name: repo.name });
    this.set({ c: 'p', g: '', k: repo.id, v: encodeRepository(repo), f: repositoryFields(repo) });
  }

  private async putUser(user: User, mode: PutMode, ifVersion: number | undefined): Promise<void> {
    const v = await this.value('u', '', user.id);
    checkPut('user', user.id, v === undefined ? undefined : decodeUser(v), mode, ifVersion);
    const byName = await this.holder('u', 'name', user.username);
    if (byName !== undefined && byName !== user.id) throw recordError({ kind: 'username', username: user.username });
    const byEmail = await this.holder('u', 'email', user.email);
    if (byEmail !== undefined && byEmail !== user.id) throw recordError({ kind: 'email', email: user.email });
    this.set({ c: 'u', g: '', k: user.id, v: encodeUser(user), f: userFields(user) });
  }

  /**
   * After `winner` committed in this plan's place: a ConflictError when it
   * moved a ref this plan's compare-and-swap expected elsewhere; 'valid'
   * when it touched nothing this plan read; else 'replan'.
   */
  judge(winner: Mutation[]): 'valid' | 'replan' {
    let valid = true;
    for (const m of winner) {
      if (m.c === 'o') continue;
      if (m.c === 'e') {
        if (this.queried.has('e')) valid = false;
        continue;
      }
      const r = m as RecordMutation;
      if (this.queried.has(r.c)) valid = false;
      const key = slot(r.c, r.g, r.k);
      if (!this.read.has(key)) continue;
      // A new version of a record this plan also writes: the plan's `prev` is no longer the current one.
      if (this.pending.has(key)) valid = false;
      if ((this.read.get(key)?.v ?? null) === r.v) continue;
      valid = false;
      const cas = this.expected.get(key);
      const target = r.v === null ? null : decodeRef(r.k, r.v).target;
      if (cas && target !== cas.old) {
        throw new ConflictError(
          `ref ${cas.name} in repository ${cas.repositoryId} is ${target ?? 'absent'}, expected ${cas.old ?? 'absent'}; re-read it and retry`,
          { repositoryId: cas.repositoryId, ref: cas.name, expected: cas.old, actual: target },
        );
      }
    }
    return valid ? 'valid' : 'replan';
  }

  /** The mutations for the commit after the snapshot: each change names the version it supersedes. */
  async mutations(deletedObjects: string[]): Promise<Plan> {
    const out: Mutation[] = [];
    // Each change names the version it supersedes: read them all, a kind and group at a time.
    const groups = new Map<string, Pending[]>();
    for (const p of this.pending.values()) {
      const group = slot(p.c, p.g, '');
      if (!groups.has(group)) groups.set(group, []);
      groups.get(group)!.push(p);
    }
    for (const group of groups.values()) await this.prefetch(group[0].c, group[0].g, group.map((p) => p.k));
    for (const p of this.pending.values()) {
      const prev = (await this.stored(p.c, p.g, p.k))?._id ?? null;
      if (prev === null && p.v === null) continue;
      const m: RecordMutation = { c: p.c, g: p.g, k: p.k, prev, v: p.v };
      if (p.f) m.f = p.f;
      if (p.old !== undefined) m.old = p.old;
      out.push(m);
    }
    for (const e of this.events) {
      out.push({
        c: 'e',
        doc: {
          _id: e.id, s: 0, ts: e.timestamp.getTime(), ix: hexKey(e.id), userId: e.userId, action: e.action,
          resource: e.resource, rx: e.resource === null ? null : hexKey(e.resource), repositoryId: e.repositoryId,
          details: JSON.stringify(e.details),
        },
      });
    }
    for (const id of deletedObjects) out.push({ c: 'o', k: id });
    return { muts: out, judge: (winner) => this.judge(winner) };
  }
}
