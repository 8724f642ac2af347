/**
 * The driver of a layer that rewrites stored values (compression,
 * encryption): writes are encoded on the way down, reads decoded on the way
 * up, inside transactions too. Lookups, filters and orderings run in the
 * store on fields the codec leaves unchanged, so they behave as without it.
 */
import type { DriverReader, DriverTransaction, EventQuery, RepositoryQuery, StoreDriver, UserQuery, KeyRange, WriteOp } from '../driver.js';
import type { CommitIndexReader } from '../commit-index/index.js';
import { ForwardingDriver } from '../forwarding-driver.js';
import type { AuditEvent, ObjectEntry, Repository, TransactionOptions, User } from '../types.js';
import type { ValueCodec } from './value-codec.js';

type Decoder = (codec: ValueCodec, result: never, args: unknown[]) => unknown;

const repository = (c: ValueCodec, r: Repository | undefined) => r && c.repository(r, true);
const user = (c: ValueCodec, u: User | undefined) => u && c.user(u, true);

/** Reader methods whose results hold encoded values, and how to decode each. */
const DECODERS: Record<string, Decoder> = {
  getEntries: (c, found: Map<string, ObjectEntry>) => new Map([...found].map(([id, e]) => [id, c.unentry(e)])),
  getRepository: repository as Decoder,
  getRepositoryByName: repository as Decoder,
  listRepositories: (c, list: Repository[]) => list.map((r) => c.repository(r, true)),
  getUser: user as Decoder,
  getUserByUsername: user as Decoder,
  getUserByEmail: user as Decoder,
  listUsers: (c, list: User[]) => list.map((u) => c.user(u, true)),
  queryEvents: (c, list: AuditEvent[]) => list.map((e) => c.event(e, true)),
  getConfig: (c, value: string | undefined, [key]) => (value === undefined ? value : c.config(key as string, value, true)),
  listConfig: (c, pairs: Array<[string, string]>) => pairs.map(([k, v]) => [k, c.config(k, v, true)]),
};

/** A reader (a transaction) seen through the codec. */
function decodingView<T extends DriverReader & { write?(ops: WriteOp[]): Promise<void> }>(target: T, codec: ValueCodec): T {
  return new Proxy(target, {
    get(t, prop) {
      // a sealing layer keeps commit rows in (sealed) config keys, inside transactions too
      if (prop === 'commitIndex' && codec.transform.seals) return undefined;
      const value = Reflect.get(t, prop) as unknown;
      if (typeof value !== 'function') return value;
      if (prop === 'write') return (ops: WriteOp[]) => t.write!(codec.ops(ops));
      const decode = typeof prop === 'string' ? DECODERS[prop] : undefined;
      if (!decode) return value.bind(t);
      return async (...args: unknown[]) => decode(codec, (await value.apply(t, args)) as never, args);
    },
  });
}

export class ValueLayer extends ForwardingDriver {
  constructor(
    inner: StoreDriver,
    protected readonly codec: ValueCodec,
  ) {
    super(inner);
  }

  private async decoded<R>(method: keyof typeof DECODERS, args: unknown[], result: Promise<unknown>): Promise<R> {
    return DECODERS[method](this.codec, (await result) as never, args) as R;
  }

  override write(ops: WriteOp[]): Promise<void> {
    return this.inner.write(this.codec.ops(ops));
  }

  /** The store's native commit index, unless this layer seals values (then rows go sealed into config keys). */
  override get commitIndex(): CommitIndexReader | undefined {
    return this.codec.transform.seals ? undefined : this.inner.commitIndex;
  }

  override get begin(): ((options: Required<TransactionOptions>) => Promise<DriverTransaction>) | undefined {
    const inner = this.inner;
    if (!inner.begin) return undefined;
    return async (options) => decodingView(await inner.begin!(options), this.codec);
  }

  override getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    return this.decoded('getEntries', [ids], this.inner.getEntries(ids));
  }
  override getRepository(id: string): Promise<Repository | undefined> {
    return this.decoded('getRepository', [id], this.inner.getRepository(id));
  }
  override getRepositoryByName(name: string): Promise<Repository | undefined> {
    return this.decoded('getRepositoryByName', [name], this.inner.getRepositoryByName(name));
  }
  override listRepositories(query: RepositoryQuery): Promise<Repository[]> {
    return this.decoded('listRepositories', [query], this.inner.listRepositories(query));
  }
  override getUser(id: string): Promise<User | undefined> {
    return this.decoded('getUser', [id], this.inner.getUser(id));
  }
  override getUserByUsername(username: string): Promise<User | undefined> {
    return this.decoded('getUserByUsername', [username], this.inner.getUserByUsername(username));
  }
  override getUserByEmail(email: string): Promise<User | undefined> {
    return this.decoded('getUserByEmail', [email], this.inner.getUserByEmail(email));
  }
  override listUsers(query: UserQuery): Promise<User[]> {
    return this.decoded('listUsers', [query], this.inner.listUsers(query));
  }
  override queryEvents(query: EventQuery): Promise<AuditEvent[]> {
    return this.decoded('queryEvents', [query], this.inner.queryEvents(query));
  }
  override getConfig(key: string): Promise<string | undefined> {
    return this.decoded('getConfig', [key], this.inner.getConfig(key));
  }
  override listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    return this.decoded('listConfig', [range], this.inner.listConfig(range));
  }
}
