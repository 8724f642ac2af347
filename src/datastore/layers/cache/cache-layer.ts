/**
 * A cache in front of any store. Objects are immutable: their entries stay
 * cached until evicted. Refs, repositories, users and config are cached by
 * point lookups and retired by the writes that change them (through this
 * layer, in any process sharing the tier), by the store's change feed for
 * refs, and after `ttlMs` at the latest. Lists, events and everything inside
 * a native transaction go to the store; compare-and-swap and ifVersion checks
 * run in the store's write(), never against a cached value.
 */
import { isCommitIndexOp } from '../../commit-index/index.js';
import type { ChangeFeed, DriverStats, DriverTransaction, StoreDriver, WriteOp } from '../../driver.js';
import { ConfigError, ConnectionError } from '../../errors.js';
import { ForwardingDriver } from '../../forwarding-driver.js';
import { ENCODING } from '../../objects/encoding.js';
import type { CacheCounters, ObjectEntry, ObjectStat, Ref, Repository, TransactionOptions, User } from '../../types.js';
import { decodeEntry, decodeRecord, encodeEntry, encodeRecord } from './codec.js';
import type { CacheTier } from './tier.js';

export interface CacheSettings {
  /** How long refs and metadata may be served from the cache; 0 = until a write retires them. */
  ttlMs: number;
  /** Whether object entries are cached (off: the object store is as fast as the tier). */
  objects: boolean;
}


const OBJECTS = 'o';
const REPOSITORIES = 'R';
const USERS = 'U';
const CONFIG = 'C';
const refsOf = (repositoryId: string) => `r:${repositoryId}`;

/** The namespaces a write changes. New objects change none: absence is never cached. */
export function touchedNamespaces(ops: WriteOp[]): Set<string> {
  const out = new Set<string>();
  for (const op of ops) {
    // the native commit index passes through uncached: its rows retire nothing
    if (isCommitIndexOp(op)) continue;
    switch (op.op) {
      case 'putObject':
        if (op.replace) out.add(OBJECTS);
        break;
      case 'deleteObject':
        out.add(OBJECTS);
        break;
      case 'updateRefs':
        out.add(refsOf(op.repositoryId));
        break;
      case 'putRepository':
        out.add(REPOSITORIES);
        break;
      case 'deleteRepository':
        out.add(REPOSITORIES).add(refsOf(op.id));
        break;
      case 'putUser':
      case 'deleteUser':
        out.add(USERS);
        break;
      case 'appendEvent':
        break;
      default:
        // setConfig, deleteConfigPrefix and any config op to come
        out.add(CONFIG);
    }
  }
  return out;
}

export class CacheLayer extends ForwardingDriver {
  private readonly counters = { hits: 0, misses: 0 };
  private unsubscribe: (() => Promise<void>) | undefined;

  constructor(
    inner: StoreDriver,
    readonly tier: CacheTier,
    private readonly settings: CacheSettings,
  ) {
    super(inner);
  }

  /** Delta entries need their base; cache them only where a delete of that base elsewhere retires them too. */
  private cacheable(entry: ObjectEntry): boolean {
    return entry.encoding !== ENCODING.delta || this.tier.shared || !this.inner.capabilities.multiProcess;
  }

  override async open(): Promise<void> {
    await this.inner.open();
    if (!this.tier.shared && this.inner.capabilities.multiProcess && this.settings.ttlMs === 0) {
      await this.inner.close();
      throw new ConfigError(
        `a ${this.tier.type} cache lives in one process, and the ${this.inner.type} store below it may be written by others: their changes to repositories, users and config would never reach it. Set cache.options.ttl (cache.ttl in a URI) to the staleness you accept, e.g. 1s, or use a cache all processes share: cache: {type: redis, connection: redis://host:6379}`,
        { key: 'cache.ttl' },
      );
    }
    await this.tier.open().catch(async (err) => {
      await this.inner.close();
      throw err;
    });
    const feed = this.inner as Partial<ChangeFeed>;
    if (this.inner.capabilities.changeEvents && typeof feed.subscribe === 'function') {
      this.unsubscribe = await feed.subscribe((change) => {
        if (change.kind === 'ref') this.tier.bump([refsOf(change.repositoryId)]).catch(() => undefined);
      });
    }
  }

  override async close(): Promise<void> {
    await this.unsubscribe?.().catch(() => undefined);
    await this.tier.close();
    await this.inner.close();
  }

  /** Applies the write, then retires what it changed, even when it failed part way (it may have applied). */
  private async retireAfter<T>(ops: WriteOp[], run: () => Promise<T>): Promise<T> {
    const namespaces = touchedNamespaces(ops);
    let result: T;
    try {
      result = await run();
    } finally {
      await this.retire(namespaces);
    }
    return result;
  }

  private async retire(namespaces: Set<string>): Promise<void> {
    if (namespaces.size === 0) return;
    try {
      await this.tier.bump(namespaces);
    } catch (err) {
      throw new ConnectionError(
        `the write was applied, but the ${this.tier.type} cache could not retire the old values (${(err as Error).message}); other processes may read them for up to the cache ttl (${this.settings.ttlMs} ms)`,
      );
    }
  }

  override write(ops: WriteOp[]): Promise<void> {
    return this.retireAfter(ops, () => this.inner.write(ops));
  }

  override get begin(): ((options: Required<TransactionOptions>) => Promise<DriverTransaction>) | undefined {
    const inner = this.inner;
    if (!inner.begin) return undefined;
    return async (options) => {
      const tx = await inner.begin!(options);
      const written: WriteOp[] = [];
      const layer = this;
      // Reads inside the transaction see the store's transaction, never the cache.
      return new Proxy(tx, {
        get(target, prop) {
          if (prop === 'write') return (ops: WriteOp[]) => (written.push(...ops), target.write(ops));
          if (prop === 'commit') return () => layer.retireAfter(written, () => target.commit());
          const value = Reflect.get(target, prop) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    };
  }

  /**
   * Cached values for `keys` in `ns`; the misses are read with `load` and
   * cached (a miss of `load` as "absent" when `cacheAbsent`).
   */
  private async lookup<T>(
    ns: string,
    keys: string[],
    decode: (key: string, bytes: Buffer) => T | undefined,
    load: (missing: string[]) => Promise<Array<T | undefined>>,
    encode: (value: T | undefined) => Buffer | undefined,
    ttlMs: number,
  ): Promise<Array<T | undefined>> {
    let read;
    try {
      read = await this.tier.get(ns, keys);
    } catch {
      // A cache that does not answer is a cache miss, never a failed read.
      this.counters.misses += keys.length;
      return load(keys);
    }
    const out: Array<T | undefined> = new Array(keys.length);
    const missing: number[] = [];
    read.values.forEach((bytes, i) => {
      if (bytes === undefined) missing.push(i);
      else out[i] = decode(keys[i], bytes);
    });
    this.counters.hits += keys.length - missing.length;
    this.counters.misses += missing.length;
    if (missing.length === 0) return out;
    const loaded = await load(missing.map((i) => keys[i]));
    const fills: Array<[string, Buffer]> = [];
    missing.forEach((i, j) => {
      out[i] = loaded[j];
      const bytes = encode(loaded[j]);
      if (bytes) fills.push([keys[i], bytes]);
    });
    await this.tier.fill(ns, read.gen, fills, ttlMs).catch(() => undefined);
    return out;
  }

  private record<T>(ns: string, key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    return this.lookup<T>(
      ns,
      [key],
      (_, bytes) => decodeRecord<T>(bytes),
      async () => [await load()],
      (value) => encodeRecord(value),
      this.settings.ttlMs,
    ).then(([v]) => v);
  }

  private async entries(ids: string[]): Promise<Array<ObjectEntry | undefined>> {
    if (!this.settings.objects) {
      const found = await this.inner.getEntries(ids);
      return ids.map((id) => found.get(id));
    }
    return this.lookup<ObjectEntry>(
      OBJECTS,
      ids,
      decodeEntry,
      async (missing) => {
        const found = await this.inner.getEntries(missing);
        return missing.map((id) => found.get(id));
      },
      (entry) => (entry && this.cacheable(entry) ? encodeEntry(entry) : undefined),
      0,
    );
  }

  override async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    const found = await this.entries(ids);
    const out = new Map<string, ObjectEntry>();
    found.forEach((entry, i) => entry && out.set(ids[i], entry));
    return out;
  }

  override async hasObjects(ids: string[]): Promise<boolean[]> {
    if (!this.settings.objects) return this.inner.hasObjects(ids);
    let read;
    try {
      read = await this.tier.get(OBJECTS, ids);
    } catch {
      return this.inner.hasObjects(ids);
    }
    const missing = ids.filter((_, i) => read.values[i] === undefined);
    this.counters.hits += ids.length - missing.length;
    this.counters.misses += missing.length;
    const answers = missing.length ? await this.inner.hasObjects(missing) : [];
    let next = 0;
    return read.values.map((v) => v !== undefined || answers[next++]);
  }

  override async statObject(id: string): Promise<ObjectStat | undefined> {
    if (this.settings.objects) {
      const read = await this.tier.get(OBJECTS, [id]).catch(() => undefined);
      const bytes = read?.values[0];
      if (bytes) {
        this.counters.hits++;
        const entry = decodeEntry(id, bytes);
        return { id, type: entry.type, size: entry.size };
      }
      this.counters.misses++;
    }
    return this.inner.statObject(id);
  }

  override getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    return this.record(refsOf(repositoryId), name, () => this.inner.getRef(repositoryId, name));
  }
  override getRepository(id: string): Promise<Repository | undefined> {
    return this.record(REPOSITORIES, `id:${id}`, () => this.inner.getRepository(id));
  }
  override getRepositoryByName(name: string): Promise<Repository | undefined> {
    return this.record(REPOSITORIES, `name:${name}`, () => this.inner.getRepositoryByName(name));
  }
  override getUser(id: string): Promise<User | undefined> {
    return this.record(USERS, `id:${id}`, () => this.inner.getUser(id));
  }
  override getUserByUsername(username: string): Promise<User | undefined> {
    return this.record(USERS, `username:${username}`, () => this.inner.getUserByUsername(username));
  }
  override getUserByEmail(email: string): Promise<User | undefined> {
    return this.record(USERS, `email:${email}`, () => this.inner.getUserByEmail(email));
  }
  override getConfig(key: string): Promise<string | undefined> {
    return this.record(CONFIG, key, () => this.inner.getConfig(key));
  }

  async counts(): Promise<CacheCounters> {
    return { ...this.counters, evictions: await this.tier.evictions().catch(() => 0) };
  }

  override async stats(): Promise<DriverStats> {
    const inner = await this.inner.stats();
    const mine = await this.counts();
    const below = inner.cache;
    return { ...inner, cache: below ? { hits: below.hits + mine.hits, misses: below.misses + mine.misses, evictions: below.evictions + mine.evictions } : mine };
  }

  override async ping(): Promise<Record<string, unknown>> {
    const details = await this.inner.ping();
    return { ...details, cache: await this.tier.ping() };
  }
}
