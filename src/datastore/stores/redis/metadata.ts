/**
 * Reads of refs, repositories, users, audit events and config: all in the
 * control slot. Lists walk a lex-ordered index (ZRANGEBYLEX) in pages and
 * fetch the records; a filter with its own index (owner, visibility, admin,
 * event user/repository/resource/action) walks that index instead of all.
 */
import type { EventCountQuery, EventQuery, KeyRange, RepositoryQuery, UserQuery } from '../../driver.js';
import { compareStrings, matchesEvent, matchesRepository, matchesUser } from '../../filters.js';
import type { AuditEvent, Ref, Repository, User } from '../../types.js';
import { decodeEvent, decodeRef, decodeRepository, decodeUser, eventMember, lexRange, timeKey, type LexBound } from './codec.js';
import type { Client, Scripts } from './connection.js';
import type { RedisKeys } from './keys.js';

const PAGE = 500;

/** Walks a lex index from `min` to `max` (or backwards), handing each page of members to `take` until it returns false. */
async function walkIndex(
  client: Client,
  key: string,
  min: LexBound,
  max: LexBound,
  reverse: boolean,
  take: (members: string[]) => Promise<boolean>,
): Promise<void> {
  for (;;) {
    const page = reverse
      ? await client.zrevrangebylex(key, max, min, 'LIMIT', 0, PAGE)
      : await client.zrangebylex(key, min, max, 'LIMIT', 0, PAGE);
    if (page.length === 0 || !(await take(page)) || page.length < PAGE) return;
    const last = page[page.length - 1];
    if (reverse) max = `(${last}`;
    else min = `(${last}`;
  }
}

/** Skips `offset` matches, then collects up to `limit`. */
class Collector<T> {
  readonly items: T[] = [];
  private skipped = 0;
  constructor(
    private readonly offset: number,
    private readonly limit: number,
  ) {}
  /** Returns false when full. */
  add(item: T): boolean {
    if (this.skipped < this.offset) this.skipped++;
    else if (this.items.length < this.limit) this.items.push(item);
    return this.items.length < this.limit;
  }
  get full(): boolean {
    return this.items.length >= this.limit;
  }
}

export class RedisMetadata {
  constructor(
    private readonly client: Client,
    private readonly keys: RedisKeys,
  ) {}

  // ---- refs ----
  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    const v = await this.client.hget(this.keys.refs(repositoryId), name);
    return v === null ? undefined : decodeRef(name, v);
  }

  async listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    const [min, max] = lexRange(range.prefix, range.after);
    const flat = await (this.client as unknown as Scripts).govcListRefs(this.keys.refNames(repositoryId), this.keys.refs(repositoryId), min, max, range.limit);
    const out: Ref[] = [];
    for (let i = 0; i < flat.length; i += 2) out.push(decodeRef(flat[i], flat[i + 1]));
    return out;
  }

  // ---- repositories ----
  async getRepository(id: string): Promise<Repository | undefined> {
    const json = await this.client.get(this.keys.repo(id));
    return json === null ? undefined : decodeRepository(json);
  }

  async getRepositoryByName(name: string): Promise<Repository | undefined> {
    const id = await this.client.hget(this.keys.repoNames(), name);
    return id === null ? undefined : this.getRepository(id);
  }

  private async repositoriesNamed(names: string[]): Promise<Repository[]> {
    const ids = await this.client.hmget(this.keys.repoNames(), ...names);
    const present = ids.filter((id): id is string => id !== null);
    if (present.length === 0) return [];
    const records = await this.client.mget(...present.map((id) => this.keys.repo(id)));
    return records.filter((r): r is string => r !== null).map(decodeRepository);
  }

  async listRepositories(q: RepositoryQuery): Promise<Repository[]> {
    const index =
      q.ownerId !== undefined ? this.keys.reposByOwner(q.ownerId) : q.visibility ? this.keys.reposByVisibility(q.visibility) : this.keys.reposByName();
    const [min, max] = lexRange(q.namePrefix ?? '', q.after);
    const out = new Collector<Repository>(q.offset, q.limit);
    await walkIndex(this.client, index, min, max, false, async (names) => {
      for (const r of await this.repositoriesNamed(names)) if (matchesRepository(r, q) && !out.add(r)) return false;
      return !out.full;
    });
    return out.items;
  }

  // ---- users ----
  async getUser(id: string): Promise<User | undefined> {
    const json = await this.client.get(this.keys.user(id));
    return json === null ? undefined : decodeUser(json);
  }

  async getUserByUsername(username: string): Promise<User | undefined> {
    const id = await this.client.hget(this.keys.usernames(), username);
    return id === null ? undefined : this.getUser(id);
  }

  async getUserByEmail(email: string): Promise<User | undefined> {
    const id = await this.client.hget(this.keys.emails(), email);
    return id === null ? undefined : this.getUser(id);
  }

  async listUsers(q: UserQuery): Promise<User[]> {
    const index = q.isAdmin !== undefined ? this.keys.usersByAdmin(q.isAdmin) : this.keys.usersByName();
    const [min, max] = lexRange(q.usernamePrefix ?? '', q.after);
    const out = new Collector<User>(q.offset, q.limit);
    await walkIndex(this.client, index, min, max, false, async (names) => {
      const ids = (await this.client.hmget(this.keys.usernames(), ...names)).filter((id): id is string => id !== null);
      const records = ids.length ? await this.client.mget(...ids.map((id) => this.keys.user(id))) : [];
      for (const json of records) if (json !== null && matchesUser(decodeUser(json), q) && !out.add(decodeUser(json))) return false;
      return !out.full;
    });
    return out.items;
  }

  // ---- audit events ----

  /**
   * The index to walk for the query's equality filters: the smallest of
   * theirs (one ZCARD each), or every event. `exact` when that index alone
   * answers every filter, so a count needs no records.
   */
  private async eventIndex(q: EventCountQuery): Promise<{ key: string; exact: boolean }> {
    const candidates = [
      q.userId !== undefined ? this.keys.eventsBy('user', q.userId) : undefined,
      q.repositoryId !== undefined ? this.keys.eventsBy('repo', q.repositoryId) : undefined,
      q.resource !== undefined ? this.keys.eventsBy('resource', q.resource) : undefined,
      q.action !== undefined ? this.keys.eventsBy('action', q.action) : undefined,
    ].filter((k): k is string => k !== undefined);
    const exact = candidates.length <= 1 && q.resourcePrefix === undefined;
    if (candidates.length <= 1) return { key: candidates[0] ?? this.keys.events(), exact };
    const sizes = await Promise.all(candidates.map((k) => this.client.zcard(k)));
    return { key: candidates[sizes.indexOf(Math.min(...sizes))], exact };
  }

  /** Lex bounds of index members for since (inclusive), until (exclusive) and a keyset position. */
  private eventBounds(q: EventCountQuery & { after?: EventQuery['after']; order?: 'asc' | 'desc' }): [string, string] {
    let min = q.since !== undefined ? `[${timeKey(q.since)}` : '-';
    let max = q.until !== undefined ? `(${timeKey(q.until)}` : '+';
    if (q.after) {
      const bound = `(${eventMember(q.after.timestamp, q.after.id)}`;
      // The tighter of the two bounds on that side (both strings start with the bound character).
      if (q.order === 'desc') max = max === '+' || compareStrings(bound.slice(1), max.slice(1)) < 0 ? bound : max;
      else min = min === '-' || compareStrings(bound.slice(1), min.slice(1)) >= 0 ? bound : min;
    }
    return [min, max];
  }

  async queryEvents(q: EventQuery): Promise<AuditEvent[]> {
    const { key } = await this.eventIndex(q);
    const [min, max] = this.eventBounds(q);
    const out = new Collector<AuditEvent>(q.offset, q.limit);
    await walkIndex(this.client, key, min, max, q.order === 'desc', async (members) => {
      const records = await this.client.hmget(this.keys.eventData(), ...members);
      for (const json of records) {
        if (json === null) continue;
        const e = decodeEvent(json);
        if (matchesEvent(e, q) && !out.add(e)) return false;
      }
      return !out.full;
    });
    return out.items;
  }

  async countEvents(q: EventCountQuery): Promise<number> {
    const { key, exact } = await this.eventIndex(q);
    const [min, max] = this.eventBounds(q);
    if (exact) return this.client.zlexcount(key, min, max);
    let n = 0;
    await walkIndex(this.client, key, min, max, false, async (members) => {
      for (const json of await this.client.hmget(this.keys.eventData(), ...members)) if (json !== null && matchesEvent(decodeEvent(json), q)) n++;
      return true;
    });
    return n;
  }

  // ---- config ----
  async getConfig(key: string): Promise<string | undefined> {
    return (await this.client.hget(this.keys.config(), key)) ?? undefined;
  }

  async listConfig(range: KeyRange): Promise<Array<[string, string]>> {
    const [min, max] = lexRange(range.prefix, range.after);
    const names = await this.client.zrangebylex(this.keys.configKeys(), min, max, 'LIMIT', 0, range.limit);
    if (names.length === 0) return [];
    const values = await this.client.hmget(this.keys.config(), ...names);
    return names.flatMap((k, i) => (values[i] === null ? [] : [[k, values[i]!] as [string, string]]));
  }
}
