/**
 * Key names. Everything that must change atomically — refs of every
 * repository, repositories, users, audit events, config — lives under one hash
 * tag `{<prefix>}`, so one Lua script covers it on standalone Redis and on a
 * Cluster alike. Objects are spread over 256 shards `{<prefix>:o:<2 hex>}`
 * (by the id's first two hex digits), each with its own lex-ordered id index,
 * so listing in id order walks the shards in order without merging, and a
 * lex-ordered index of the deltas on each base, beside the base.
 */

/** Prefixes may not contain braces (they would change the hash tag) or spaces. */
export const PREFIX_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;

export const OBJECT_SHARDS = 256;

export class RedisKeys {
  /** Base of every key in the control slot, e.g. `{govc}:`; the Lua scripts append names to it. */
  readonly control: string;
  /** A real key in the control slot: routes the scripts (Cluster picks the node by KEYS[1]). */
  readonly controlRoute: string;
  readonly changesChannel: string;
  readonly auditStream: string;

  constructor(readonly prefix: string) {
    this.control = `{${prefix}}:`;
    this.controlRoute = `${this.control}repos`;
    this.changesChannel = `${prefix}:changes`;
    this.auditStream = `${this.control}audit`;
  }

  // ---- control slot: lua.ts builds the same names from `control` for writes
  // (plus event-ids, id -> member, for unique event ids); reads use these ----
  repo(id: string): string {
    return `${this.control}repo:${id}`;
  }
  repoNames(): string {
    return `${this.control}repo-names`;
  }
  reposByName(): string {
    return `${this.control}repos`;
  }
  reposByVisibility(visibility: string): string {
    return `${this.control}repos:vis:${visibility}`;
  }
  reposByOwner(ownerId: string): string {
    return `${this.control}repos:owner:${ownerId}`;
  }
  refs(repositoryId: string): string {
    return `${this.control}refs:${repositoryId}`;
  }
  refNames(repositoryId: string): string {
    return `${this.control}refnames:${repositoryId}`;
  }
  user(id: string): string {
    return `${this.control}user:${id}`;
  }
  usernames(): string {
    return `${this.control}usernames`;
  }
  emails(): string {
    return `${this.control}emails`;
  }
  usersByName(): string {
    return `${this.control}users`;
  }
  usersByAdmin(isAdmin: boolean): string {
    return `${this.control}users:admin:${isAdmin ? 1 : 0}`;
  }
  eventData(): string {
    return `${this.control}event-data`;
  }
  events(): string {
    return `${this.control}events`;
  }
  eventsBy(field: 'user' | 'action' | 'resource' | 'repo', value: string): string {
    return `${this.control}events:${field}:${value}`;
  }
  config(): string {
    return `${this.control}config`;
  }
  configKeys(): string {
    return `${this.control}config-keys`;
  }
  activityRanking(): string {
    return `${this.control}stats:activity`;
  }
  repoUsers(repositoryId: string): string {
    return `${this.control}stats:users:${repositoryId}`;
  }

  // ---- objects: one shard per first two hex digits ----
  shardOf(id: string): number {
    return parseInt(id.slice(0, 2), 16);
  }
  shardBase(shard: number): string {
    return `{${this.prefix}:o:${shard.toString(16).padStart(2, '0')}}:`;
  }
  object(id: string): string {
    return this.shardBase(this.shardOf(id)) + id;
  }
  shardIds(shard: number): string {
    return `${this.shardBase(shard)}ids`;
  }
  shardBytes(shard: number): string {
    return `${this.shardBase(shard)}bytes`;
  }
  /** Ids of the entries kept as deltas on `baseId`, in the base's shard (DELETE_OBJECTS builds the same name). */
  dependents(baseId: string): string {
    return `${this.shardBase(this.shardOf(baseId))}deps:${baseId}`;
  }

  // ---- TTL keys: no hash tag, so they spread over the cluster ----
  cache(key: string): string {
    return `${this.prefix}:cache:${key}`;
  }
  session(id: string): string {
    return `${this.prefix}:session:${id}`;
  }
}
