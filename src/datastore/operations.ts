/**
 * Every data operation, validated once, for a store and for a transaction
 * alike. Subclasses only say where writes go.
 */
import { checkCommitRow, commitIndexOf, lowerOps, type CommitIndexQuery, type CommitIndexRow, type Contributor, type IndexedCommit, type StoreWriteOp } from './commit-index/index.js';
import { decodeCursor, decodeStringCursor, encodeCursor } from './cursor.js';
import type { DriverReader, EventCountQuery, EventPosition, WriteOp } from './driver.js';
import { isStaleVersion, recordError } from './conflicts.js';
import { IntegrityError, InvalidArgumentError, NotFoundError } from './errors.js';
import { hashObject } from './hash.js';
import {
  buildEvent,
  buildRepository,
  buildUser,
  checkEventRecord,
  checkRepositoryRecord,
  checkUserRecord,
  normalizeEmail,
  patchRepository,
  patchUser,
  recordVersion,
  type EventInput,
  type RepositoryInput,
  type RepositoryPatch,
  type UserInput,
  type UserPatch,
} from './inputs.js';
import { repositoryKeyPrefixes } from './keyspace.js';
import type { OperationKind, OperationMetrics } from './metrics.js';
import { checkEntry } from './objects/check-entry.js';
import { ENCODING, wholeEntry } from './objects/encoding.js';
import type { EntryResolver } from './objects/resolve.js';
import type {
  AuditEvent,
  EventFilter,
  GitObject,
  ObjectEntry,
  ObjectReadOptions,
  ObjectFormat,
  ObjectStat,
  Page,
  PageOptions,
  Ref,
  RefUpdate,
  Repository,
  RepositoryFilter,
  UpdateOptions,
  User,
  UserFilter,
} from './types.js';
import {
  checkBytes,
  checkDate,
  checkHexPrefix,
  checkLimit,
  checkObjectId,
  checkObjectType,
  checkOffset,
  checkPrefix,
  checkRefName,
  checkText,
} from './validate.js';

export interface ObjectInput extends GitObject {
  /** When given, the content must hash to it or the write is refused. */
  id?: string;
}

export interface ListOptions {
  prefix?: string;
  limit?: number;
  cursor?: string;
}

const SCAN_PAGE = 1000;
const MAX_SYMREF_DEPTH = 5;

function checkPaging(options: PageOptions): { limit: number; offset: number } {
  if (options.cursor !== undefined && options.offset !== undefined && options.offset !== 0) {
    throw new InvalidArgumentError('pass either cursor or offset, not both');
  }
  return { limit: checkLimit(options.limit), offset: checkOffset(options.offset) };
}

function pageOf<T>(items: T[], limit: number, cursorOf: (last: T) => string): Page<T> {
  if (items.length <= limit) return { items };
  const kept = items.slice(0, limit);
  return { items: kept, nextCursor: cursorOf(kept[kept.length - 1]) };
}

/** Concurrent updaters of one record each win a round; enough rounds for a few dozen of them. */
const MAX_UPDATE_ATTEMPTS = 100;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export abstract class Operations {
  protected constructor(
    protected readonly format: ObjectFormat,
    protected readonly stats: OperationMetrics,
    /** Shared by a store and its transactions: objects are immutable, so built ones can be shared. */
    protected readonly resolver: EntryResolver,
  ) {}

  /** Where reads go; checked open on every call. */
  protected abstract reader(): DriverReader;
  /** Applies ops atomically. */
  protected abstract apply(ops: WriteOp[]): Promise<void>;

  protected read<T>(weight: number, fn: (r: DriverReader) => Promise<T>): Promise<T> {
    const r = this.reader();
    return this.stats.track('read', weight, () => fn(r));
  }

  protected write(kind: OperationKind, ops: StoreWriteOp[]): Promise<void> {
    const lowered = lowerOps(this.reader(), ops);
    return this.stats.track(kind, Math.max(1, lowered.length), () => this.apply(lowered));
  }

  /** Checks type and content, computes the id, and refuses a mismatching given id. */
  protected checkObjectInput(object: ObjectInput): WriteOp {
    if (!object || typeof object !== 'object') throw new InvalidArgumentError('object must be {type, data}');
    const type = checkObjectType(object.type);
    const data = checkBytes('object data', object.data);
    const id = hashObject(type, data, this.format);
    if (object.id !== undefined && object.id !== id) {
      throw new IntegrityError(`object content hashes to ${id}, not to the given id ${String(object.id)}; nothing was written`, {
        expected: object.id,
        actual: id,
      });
    }
    return { op: 'putObject', entry: wholeEntry(id, type, data) };
  }

  // ---- objects ----

  /** Stores an object (deflated) and returns its id. Idempotent. */
  async putObject(object: ObjectInput): Promise<string> {
    const op = this.checkObjectInput(object);
    await this.write('write', [op]);
    return (op as { entry: ObjectEntry }).entry.id;
  }

  /** Stores many objects in one atomic write; returns their ids in order. */
  async putObjects(objects: ObjectInput[]): Promise<string[]> {
    if (!Array.isArray(objects)) throw new InvalidArgumentError('putObjects takes an array');
    const ops = objects.map((o) => this.checkObjectInput(o));
    if (ops.length > 0) await this.write('write', ops);
    return ops.map((op) => (op as { entry: ObjectEntry }).entry.id);
  }

  /**
   * Stores entries already encoded (a pack's entries, kept as they are) in one
   * atomic write. Their content is the caller's word (a pack indexer that
   * hashed every object); reads check it again. Each delta's base must be in
   * the same call or in the store. Idempotent: an existing entry is kept.
   */
  async putEntries(entries: ObjectEntry[]): Promise<void> {
    if (!Array.isArray(entries)) throw new InvalidArgumentError('putEntries takes an array');
    for (const e of entries) checkEntry(e, this.format);
    await this.checkBases(entries);
    if (entries.length > 0) await this.write('write', entries.map((entry) => ({ op: 'putObject', entry })));
  }

  /** Every delta's base is among `entries` or in the store (one read for all of them). */
  private async checkBases(entries: ObjectEntry[]): Promise<void> {
    const ids = new Set(entries.map((e) => e.id));
    const outside = [...new Set(entries.filter((e) => e.base && !ids.has(e.base)).map((e) => e.base!))];
    if (outside.length === 0) return;
    const present = await this.read(outside.length, (r) => r.hasObjects(outside));
    const missing = outside.find((_, i) => !present[i]);
    if (missing) {
      const dependent = entries.find((e) => e.base === missing)!;
      throw new IntegrityError(`object ${dependent.id} is a delta on ${missing}, which is neither in this write nor in the store; nothing was written`, { id: dependent.id, base: missing });
    }
  }

  /**
   * Re-encodes stored objects (gc): each entry replaces the stored one of its
   * id, atomically. The content must be the same object (reads check it). A
   * new delta's base must exist, and nothing may build on an object whose
   * entry becomes a delta: its chain would grow under its dependents.
   */
  async replaceEntries(entries: ObjectEntry[]): Promise<void> {
    if (!Array.isArray(entries)) throw new InvalidArgumentError('replaceEntries takes an array');
    for (const e of entries) checkEntry(e, this.format);
    const ids = entries.map((e) => e.id);
    const present = ids.length ? await this.read(ids.length, (r) => r.hasObjects(ids)) : [];
    const absent = ids.find((_, i) => !present[i]);
    if (absent) throw new NotFoundError(`object ${absent} is not in the store; replaceEntries only re-encodes stored objects`, { id: absent });
    await this.checkBases(entries);
    for (const e of entries) {
      if (e.encoding !== ENCODING.delta) continue;
      const dependents = await this.read(1, (r) => r.listDependents(e.id, { limit: 1 }));
      if (dependents.length > 0) throw new InvalidArgumentError(`object ${e.id} has deltas built on it (${dependents[0]}); it cannot become a delta itself`, { id: e.id });
    }
    if (entries.length > 0) await this.write('write', entries.map((entry) => ({ op: 'putObject', entry, replace: true })));
  }

  /** The objects' stored entries (for copying into a pack), by id; missing ids are absent. */
  async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    for (const id of ids) checkObjectId(id, this.format);
    if (ids.length === 0) return new Map();
    return this.read(ids.length, (r) => r.getEntries([...new Set(ids)]));
  }

  /** The object with deltas applied, checked against its id. */
  async getObject(id: string): Promise<GitObject | undefined> {
    checkObjectId(id, this.format);
    return this.read(1, (r) => this.resolver.resolve(r, [id])).then((found) => found.get(id));
  }

  /** Like getObject, but a missing object is an error. */
  async requireObject(id: string): Promise<GitObject> {
    const found = await this.getObject(id);
    if (!found) throw new NotFoundError(`object ${id} is not in the store`, { id });
    return found;
  }

  /**
   * The objects found, by id; missing ids are absent from the map. `onEntry`
   * sees the stored entry of each object found (not of its delta bases): a
   * walk keeps some to copy into a pack without reading them again.
   */
  async getObjects(ids: string[], options: ObjectReadOptions = {}): Promise<Map<string, GitObject>> {
    for (const id of ids) checkObjectId(id, this.format);
    if (ids.length === 0) return new Map();
    return this.read(ids.length, (r) => this.resolver.resolve(r, [...new Set(ids)], options.onEntry));
  }

  async hasObject(id: string): Promise<boolean> {
    checkObjectId(id, this.format);
    return (await this.read(1, (r) => r.hasObjects([id])))[0];
  }

  async hasObjects(ids: string[]): Promise<boolean[]> {
    for (const id of ids) checkObjectId(id, this.format);
    if (ids.length === 0) return [];
    return this.read(ids.length, (r) => r.hasObjects(ids));
  }

  async statObject(id: string): Promise<ObjectStat | undefined> {
    checkObjectId(id, this.format);
    return this.read(1, (r) => r.statObject(id));
  }

  /** Ids of the objects kept as deltas on `baseId`, ascending, strictly after `after`. */
  async listDependents(baseId: string, options: { after?: string; limit?: number } = {}): Promise<string[]> {
    checkObjectId(baseId, this.format);
    if (options.after !== undefined) checkObjectId(options.after, this.format);
    const limit = checkLimit(options.limit);
    return this.read(1, (r) => r.listDependents(baseId, { after: options.after, limit }));
  }

  /**
   * Deletes an object. Objects kept as deltas on it are first rewritten whole,
   * in the same atomic write, so deleting a base never breaks another object.
   */
  async deleteObject(id: string): Promise<void> {
    checkObjectId(id, this.format);
    const ops: WriteOp[] = [];
    let after: string | undefined;
    for (;;) {
      const dependents = await this.read(1, (r) => r.listDependents(id, { after, limit: SCAN_PAGE }));
      if (dependents.length === 0) break;
      const built = await this.getObjects(dependents);
      for (const dep of dependents) {
        const obj = built.get(dep);
        if (obj) ops.push({ op: 'putObject', entry: wholeEntry(dep, obj.type, obj.data), replace: true });
      }
      if (dependents.length < SCAN_PAGE) break;
      after = dependents[dependents.length - 1];
    }
    ops.push({ op: 'deleteObject', id });
    await this.write('delete', ops);
  }

  /** One page of object ids in ascending order. */
  async listObjectsPage(options: ListOptions = {}): Promise<Page<string>> {
    const prefix = checkHexPrefix(options.prefix ?? '');
    const limit = checkLimit(options.limit);
    const after = decodeStringCursor('objects', options.cursor);
    const ids = await this.read(1, (r) => r.listObjectIds({ prefix, after, limit: limit + 1 }));
    return pageOf(ids, limit, (last) => encodeCursor('objects', last));
  }

  /** Streams object ids in ascending order; `limit` caps the total. */
  async *listObjects(options: { prefix?: string; limit?: number } = {}): AsyncGenerator<string> {
    const prefix = checkHexPrefix(options.prefix ?? '');
    if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
      throw new InvalidArgumentError(`limit must be a positive integer; got ${options.limit}`);
    }
    let remaining = options.limit ?? Infinity;
    let after: string | undefined;
    while (remaining > 0) {
      const size = Math.min(SCAN_PAGE, remaining);
      const ids = await this.read(1, (r) => r.listObjectIds({ prefix, after, limit: size }));
      for (const id of ids) yield id;
      remaining -= ids.length;
      if (ids.length < size) return;
      after = ids[ids.length - 1];
    }
  }

  // ---- refs ----

  private checkRepositoryId(id: string): string {
    return checkText('repository id', id, 128);
  }

  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    this.checkRepositoryId(repositoryId);
    checkRefName(name);
    return this.read(1, (r) => r.getRef(repositoryId, name));
  }

  /** Follows symbolic refs (HEAD -> refs/heads/main) to a direct ref. */
  async resolveRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    let ref = await this.getRef(repositoryId, name);
    for (let depth = 0; ref && ref.type === 'symbolic'; depth++) {
      if (depth >= MAX_SYMREF_DEPTH) throw new IntegrityError(`symbolic ref ${name} nests deeper than ${MAX_SYMREF_DEPTH}`);
      ref = await this.getRef(repositoryId, ref.target);
    }
    return ref;
  }

  async listRefsPage(repositoryId: string, options: ListOptions = {}): Promise<Page<Ref>> {
    this.checkRepositoryId(repositoryId);
    const prefix = checkPrefix('ref prefix', options.prefix);
    const limit = checkLimit(options.limit);
    const after = decodeStringCursor('refs', options.cursor);
    const refs = await this.read(1, (r) => r.listRefs(repositoryId, { prefix, after, limit: limit + 1 }));
    return pageOf(refs, limit, (last) => encodeCursor('refs', last.name));
  }

  /** Streams every ref under `prefix` in name order. */
  async *listRefs(repositoryId: string, prefix = ''): AsyncGenerator<Ref> {
    this.checkRepositoryId(repositoryId);
    checkPrefix('ref prefix', prefix);
    let after: string | undefined;
    for (;;) {
      const refs = await this.read(1, (r) => r.listRefs(repositoryId, { prefix, after, limit: SCAN_PAGE }));
      yield* refs;
      if (refs.length < SCAN_PAGE) return;
      after = refs[refs.length - 1].name;
    }
  }

  /**
   * Applies every update or none. A stale `old` throws ConflictError; the
   * repository must exist (NotFoundError). `commits` (the commit-index rows
   * the update makes reachable) and `event` (the audit event of what moved
   * the refs, a push's) go in the same atomic write: a refused update writes
   * neither, and no crash leaves refs moved without them.
   */
  async updateRefs(repositoryId: string, updates: RefUpdate[], options: { commits?: CommitIndexRow[]; event?: EventInput } = {}): Promise<void> {
    const ops: StoreWriteOp[] = [this.checkRefUpdates(repositoryId, updates)];
    if (options.commits?.length) ops.push(this.commitsOp(repositoryId, options.commits));
    if (options.event) ops.push({ op: 'appendEvent', event: buildEvent(options.event) });
    await this.write('write', ops);
  }

  // ---- commit index (commit-index/) ----

  private commitsOp(repositoryId: string, commits: CommitIndexRow[]): StoreWriteOp {
    this.checkRepositoryId(repositoryId);
    return { op: 'putCommits', repositoryId, commits: commits.map((row) => checkCommitRow(row, this.format)) };
  }

  /** Adds rows to a repository's commit index without moving a ref (a rebuild); rows already there are kept. */
  async indexCommits(repositoryId: string, commits: CommitIndexRow[]): Promise<void> {
    if (commits.length > 0) await this.write('write', [this.commitsOp(repositoryId, commits)]);
  }

  /**
   * Removes the rows of commits `reachable` rejects (no ref reaches them any
   * more, after a force-push or a deleted branch), in one write; returns how
   * many. Kept rows are streamed; only the removed ones are held.
   */
  async pruneCommitIndex(repositoryId: string, reachable: (id: string) => boolean): Promise<number> {
    const stale: CommitIndexRow[] = [];
    const keptAuthors = new Set<string>();
    for await (const row of this.listIndexedRows(repositoryId)) {
      if (reachable(row.id)) keptAuthors.add(row.author.email.toLowerCase());
      else stale.push(row);
    }
    if (stale.length === 0) return 0;
    const contributors = [...new Set(stale.map((r) => r.author.email.toLowerCase()))].filter((email) => !keptAuthors.has(email));
    await this.write('delete', [{ op: 'deleteCommits', repositoryId, commits: stale, contributors }]);
    return stale.length;
  }

  async dropCommitIndex(repositoryId: string): Promise<void> {
    this.checkRepositoryId(repositoryId);
    await this.write('delete', [{ op: 'dropCommitIndex', repositoryId }]);
  }

  /** For each id, whether the repository's commit index holds it. */
  async indexedCommits(repositoryId: string, ids: string[]): Promise<boolean[]> {
    this.checkRepositoryId(repositoryId);
    return ids.length === 0 ? [] : this.read(ids.length, (r) => commitIndexOf(r).indexedCommits(repositoryId, ids));
  }

  /** Indexed commits, newest first by committer time (ties by id). */
  async queryIndexedCommits(repositoryId: string, query: Partial<CommitIndexQuery> = {}): Promise<IndexedCommit[]> {
    this.checkRepositoryId(repositoryId);
    const q = { ...query, limit: checkLimit(query.limit ?? 100) };
    return this.read(1, (r) => commitIndexOf(r).queryCommits(repositoryId, q));
  }

  async countIndexedCommits(repositoryId: string): Promise<{ commits: number; contributors: number }> {
    this.checkRepositoryId(repositoryId);
    return this.read(1, (r) => commitIndexOf(r).countCommits(repositoryId));
  }

  async *listIndexedContributors(repositoryId: string): AsyncGenerator<Contributor> {
    this.checkRepositoryId(repositoryId);
    let after: string | undefined;
    for (;;) {
      const page = await this.read(1, (r) => commitIndexOf(r).listContributors(repositoryId, { after, limit: SCAN_PAGE }));
      yield* page;
      if (page.length < SCAN_PAGE) return;
      after = page[page.length - 1].email.toLowerCase();
    }
  }

  /** The rows of those of `ids` the repository's commit index holds (migration through a change log). */
  async getIndexedRows(repositoryId: string, ids: string[]): Promise<CommitIndexRow[]> {
    this.checkRepositoryId(repositoryId);
    return ids.length === 0 ? [] : this.read(ids.length, (r) => commitIndexOf(r).getRows(repositoryId, ids));
  }

  /** Every row of the commit index, by id (backup and migration). */
  async *listIndexedRows(repositoryId: string): AsyncGenerator<CommitIndexRow> {
    this.checkRepositoryId(repositoryId);
    let after: string | undefined;
    for (;;) {
      const page = await this.read(1, (r) => commitIndexOf(r).listRows(repositoryId, { after, limit: SCAN_PAGE }));
      yield* page;
      if (page.length < SCAN_PAGE) return;
      after = page[page.length - 1].id;
    }
  }

  async setSymbolicRef(repositoryId: string, name: string, target: string): Promise<void> {
    await this.updateRefs(repositoryId, [{ name, new: target, symbolic: true }]);
  }

  protected checkRefUpdates(repositoryId: string, updates: RefUpdate[]): WriteOp {
    this.checkRepositoryId(repositoryId);
    if (!Array.isArray(updates) || updates.length === 0) throw new InvalidArgumentError('updateRefs needs at least one update');
    const seen = new Set<string>();
    const clean = updates.map((u) => {
      const name = checkRefName(u.name);
      if (seen.has(name)) throw new InvalidArgumentError(`ref ${name} appears twice in one update`);
      seen.add(name);
      const symbolic = u.symbolic === true;
      if (u.new !== null) {
        if (symbolic) checkRefName(u.new);
        else checkObjectId(u.new, this.format);
      }
      if (u.old !== undefined && u.old !== null && typeof u.old !== 'string') {
        throw new InvalidArgumentError(`expected old value of ${name} must be a string, null or undefined`);
      }
      return { name, old: u.old, new: u.new, symbolic };
    });
    return { op: 'updateRefs', repositoryId, updates: clean };
  }

  // ---- repositories ----

  async createRepository(input: RepositoryInput): Promise<Repository> {
    const repository = buildRepository(input);
    await this.write('write', [{ op: 'putRepository', repository, mode: 'create' }]);
    return repository;
  }

  /**
   * Applies `patch` to the stored record, as a compare-and-swap on its version:
   * a concurrent update of other fields is never lost. A function patch is
   * called with the current record (again after a lost race), so it can
   * merge, e.g. one metadata key. With `ifVersion` (an HTTP If-Match) the
   * update applies only to that version, else CONFLICT.
   */
  async updateRepository(
    id: string,
    patch: RepositoryPatch | ((current: Repository) => RepositoryPatch),
    options: UpdateOptions = {},
  ): Promise<Repository> {
    return this.updateRecord(
      () => this.getRepository(id),
      () => recordError({ kind: 'repo-missing', id }),
      (existing) => patchRepository(existing, typeof patch === 'function' ? patch(existing) : patch),
      (repository, ifVersion) => ({ op: 'putRepository', repository, mode: 'update', ifVersion }),
      options.ifVersion,
    );
  }

  private async updateRecord<T extends { version: number }>(
    read: () => Promise<T | undefined>,
    missing: () => Error,
    patch: (existing: T) => T,
    op: (next: T, ifVersion: number) => WriteOp,
    ifVersion: number | undefined,
  ): Promise<T> {
    if (ifVersion !== undefined) recordVersion(ifVersion);
    for (let attempt = 1; ; attempt++) {
      const existing = await read();
      if (!existing) throw missing();
      const next = patch(existing);
      try {
        await this.write('write', [op(next, ifVersion ?? existing.version)]);
        return next;
      } catch (err) {
        // Someone else's update landed between our read and write: redo ours on top of it.
        if (ifVersion !== undefined || !isStaleVersion(err) || attempt >= MAX_UPDATE_ATTEMPTS) throw err;
        await sleep(Math.random() * Math.min(50, attempt * 2));
      }
    }
  }

  /** Writes a full record as given (restores, migrations): creates or replaces. */
  async saveRepository(record: Repository): Promise<void> {
    await this.write('write', [{ op: 'putRepository', repository: checkRepositoryRecord(record), mode: 'upsert' }]);
  }

  async getRepository(id: string): Promise<Repository | undefined> {
    this.checkRepositoryId(id);
    return this.read(1, (r) => r.getRepository(id));
  }

  async getRepositoryByName(name: string): Promise<Repository | undefined> {
    checkText('repository name', name);
    return this.read(1, (r) => r.getRepositoryByName(name));
  }

  async listRepositories(filter: RepositoryFilter = {}): Promise<Page<Repository>> {
    const { limit, offset } = checkPaging(filter);
    const query = {
      namePrefix: checkPrefix('namePrefix', filter.namePrefix) || undefined,
      visibility: filter.visibility,
      ownerId: filter.ownerId,
      after: decodeStringCursor('repositories', filter.cursor),
      offset,
      limit: limit + 1,
    };
    if (query.visibility !== undefined && query.visibility !== 'public' && query.visibility !== 'private') {
      throw new InvalidArgumentError(`visibility must be "public" or "private"; got ${JSON.stringify(query.visibility)}`);
    }
    const items = await this.read(1, (r) => r.listRepositories(query));
    return pageOf(items, limit, (last) => encodeCursor('repositories', last.name));
  }

  /**
   * Deletes the repository and, in the same atomic write, everything that
   * belongs to it: refs, grants, commit index (objects are shared and stay).
   */
  async deleteRepository(id: string): Promise<void> {
    this.checkRepositoryId(id);
    const owned = repositoryKeyPrefixes(id).map((prefix): WriteOp => ({ op: 'deleteConfigPrefix', prefix }));
    await this.write('delete', [{ op: 'deleteRepository', id }, ...owned]);
  }

  // ---- users ----

  async createUser(input: UserInput): Promise<User> {
    const user = buildUser(input);
    await this.write('write', [{ op: 'putUser', user, mode: 'create' }]);
    return user;
  }

  /** As updateRepository: a compare-and-swap on the user's version. */
  async updateUser(id: string, patch: UserPatch | ((current: User) => UserPatch), options: UpdateOptions = {}): Promise<User> {
    return this.updateRecord(
      () => this.getUser(id),
      () => recordError({ kind: 'user-missing', id }),
      (existing) => patchUser(existing, typeof patch === 'function' ? patch(existing) : patch),
      (user, ifVersion) => ({ op: 'putUser', user, mode: 'update', ifVersion }),
      options.ifVersion,
    );
  }

  async saveUser(record: User): Promise<void> {
    await this.write('write', [{ op: 'putUser', user: checkUserRecord(record), mode: 'upsert' }]);
  }

  async getUser(id: string): Promise<User | undefined> {
    checkText('user id', id, 128);
    return this.read(1, (r) => r.getUser(id));
  }

  async getUserByUsername(username: string): Promise<User | undefined> {
    checkText('username', username, 128);
    return this.read(1, (r) => r.getUserByUsername(username));
  }

  async getUserByEmail(email: string): Promise<User | undefined> {
    const normalized = normalizeEmail(email);
    return this.read(1, (r) => r.getUserByEmail(normalized));
  }

  async listUsers(filter: UserFilter = {}): Promise<Page<User>> {
    const { limit, offset } = checkPaging(filter);
    if (filter.isAdmin !== undefined && typeof filter.isAdmin !== 'boolean') throw new InvalidArgumentError('isAdmin filter must be a boolean');
    const query = {
      usernamePrefix: checkPrefix('usernamePrefix', filter.usernamePrefix) || undefined,
      isAdmin: filter.isAdmin,
      after: decodeStringCursor('users', filter.cursor),
      offset,
      limit: limit + 1,
    };
    const items = await this.read(1, (r) => r.listUsers(query));
    return pageOf(items, limit, (last) => encodeCursor('users', last.username));
  }

  async deleteUser(id: string): Promise<void> {
    checkText('user id', id, 128);
    await this.write('delete', [{ op: 'deleteUser', id }]);
  }

  // ---- audit events ----

  async logEvent(input: EventInput): Promise<AuditEvent> {
    const event = buildEvent(input);
    await this.write('write', [{ op: 'appendEvent', event }]);
    return event;
  }

  /** Appends a full event record as given (restores, migrations). */
  async restoreEvent(record: AuditEvent): Promise<void> {
    await this.write('write', [{ op: 'appendEvent', event: checkEventRecord(record) }]);
  }

  private eventCountQuery(filter: EventFilter): EventCountQuery {
    const optionalText = (what: string, v: string | undefined) => (v === undefined ? undefined : checkText(what, v, 1024));
    return {
      userId: optionalText('userId', filter.userId),
      action: optionalText('action', filter.action),
      resource: optionalText('resource', filter.resource),
      resourcePrefix: filter.resourcePrefix === undefined ? undefined : checkPrefix('resourcePrefix', filter.resourcePrefix),
      repositoryId: optionalText('repositoryId', filter.repositoryId),
      since: filter.since === undefined ? undefined : checkDate('since', filter.since).getTime(),
      until: filter.until === undefined ? undefined : checkDate('until', filter.until).getTime(),
    };
  }

  async queryEvents(filter: EventFilter = {}): Promise<Page<AuditEvent>> {
    const { limit, offset } = checkPaging(filter);
    const order = filter.order ?? 'asc';
    if (order !== 'asc' && order !== 'desc') throw new InvalidArgumentError(`order must be "asc" or "desc"; got ${JSON.stringify(order)}`);
    let after: EventPosition | undefined;
    if (filter.cursor !== undefined) {
      const v = decodeCursor('events', filter.cursor) as { t?: unknown; i?: unknown; o?: unknown };
      if (typeof v?.t !== 'number' || typeof v.i !== 'string' || v.o !== order) {
        throw new InvalidArgumentError('events cursor is malformed or from a list in the other order');
      }
      after = { timestamp: v.t, id: v.i };
    }
    const query = { ...this.eventCountQuery(filter), order, after, offset, limit: limit + 1 };
    const items = await this.read(1, (r) => r.queryEvents(query));
    return pageOf(items, limit, (last) => encodeCursor('events', { t: last.timestamp.getTime(), i: last.id, o: order }));
  }

  async countEvents(filter: Omit<EventFilter, keyof PageOptions | 'order'> = {}): Promise<number> {
    const query = this.eventCountQuery(filter);
    return this.read(1, (r) => r.countEvents(query));
  }

  // ---- config ----

  private checkConfigKey(key: string): string {
    return checkText('config key', key, 1024);
  }

  async getConfig(key: string): Promise<string | undefined> {
    this.checkConfigKey(key);
    return this.read(1, (r) => r.getConfig(key));
  }

  async setConfig(key: string, value: string): Promise<void> {
    this.checkConfigKey(key);
    if (typeof value !== 'string') throw new InvalidArgumentError(`config value for ${key} must be a string`);
    await this.write('write', [{ op: 'setConfig', key, value }]);
  }

  async deleteConfig(key: string): Promise<void> {
    this.checkConfigKey(key);
    await this.write('delete', [{ op: 'setConfig', key, value: null }]);
  }

  async listConfigPage(options: ListOptions = {}): Promise<Page<[string, string]>> {
    const prefix = checkPrefix('config prefix', options.prefix);
    const limit = checkLimit(options.limit);
    const after = decodeStringCursor('config', options.cursor);
    const pairs = await this.read(1, (r) => r.listConfig({ prefix, after, limit: limit + 1 }));
    return pageOf(pairs, limit, (last) => encodeCursor('config', last[0]));
  }

  /** Streams the config pairs under `prefix` in key order, strictly after `after`, at most `limit` of them. */
  async *listConfig(prefix = '', options: { after?: string; limit?: number } = {}): AsyncGenerator<[string, string]> {
    checkPrefix('config prefix', prefix);
    let after = options.after === undefined ? undefined : this.checkConfigKey(options.after);
    let left = options.limit === undefined ? Infinity : recordVersion(options.limit);
    while (left > 0) {
      const page = Math.min(SCAN_PAGE, left);
      const pairs = await this.read(1, (r) => r.listConfig({ prefix, after, limit: page }));
      yield* pairs;
      left -= pairs.length;
      if (pairs.length < page) return;
      after = pairs[pairs.length - 1][0];
    }
  }

  /** Deletes every config key under `prefix` (not empty) in one atomic write. */
  async deleteConfigPrefix(prefix: string): Promise<void> {
    if (checkPrefix('config prefix', prefix) === '') {
      throw new InvalidArgumentError('config prefix to delete must not be empty; delete keys one by one to clear all config');
    }
    await this.write('delete', [{ op: 'deleteConfigPrefix', prefix }]);
  }
}

