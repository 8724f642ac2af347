/**
 * The tables, created once per keyspace (IF NOT EXISTS). Every partition key
 * starts with the namespace, so stores sharing a keyspace stay apart. Ordered
 * keys (ref names, names, config keys) are blobs of UTF-8, so CQL compares
 * them in byte order, the order every store lists in, and a prefix is a range.
 */
import type { ScyllaSettings } from './settings.js';

export const SCHEMA_VERSION = '1';

export const TABLES = [
  // Store settings fixed at creation (the object shard width).
  `CREATE TABLE IF NOT EXISTS meta (ns text, key text, value text, PRIMARY KEY ((ns), key))`,
  // Objects spread over 16^n partitions by id prefix, in id order inside each.
  // `entry` packs the entry's fields and bytes in one cell, so two writers of
  // one id can never leave fields of one beside bytes of the other.
  `CREATE TABLE IF NOT EXISTS objects (ns text, shard text, id text, entry blob, stored bigint, PRIMARY KEY ((ns, shard), id))`,
  // Bytes of entries above the inline limit, one partition per (id, write).
  `CREATE TABLE IF NOT EXISTS object_chunks (ns text, id text, version uuid, seq int, bytes blob, PRIMARY KEY ((ns, id, version), seq))`,
  // Per delta base, the ids stored as deltas on it (may name more, never fewer).
  `CREATE TABLE IF NOT EXISTS dependents (ns text, base text, id text, PRIMARY KEY ((ns, base), id))`,
  // A repository: its record in static columns, its refs as the rows of the
  // current generation, all in one partition, so a multi-ref compare-and-swap
  // is one lightweight transaction. Deleting bumps the generation.
  `CREATE TABLE IF NOT EXISTS repositories (ns text, id text, record blob static, version int static, current_gen timeuuid static,
     gen timeuuid, ref blob, target text, symbolic boolean, PRIMARY KEY ((ns, id), gen, ref))`,
  `CREATE TABLE IF NOT EXISTS users (ns text, id text, record blob, version int, PRIMARY KEY ((ns, id)))`,
  // Unique values (repository names, usernames, emails, event ids), each its
  // own partition so that claims never contend with each other.
  `CREATE TABLE IF NOT EXISTS claims (ns text, kind text, value text, owner text, PRIMARY KEY ((ns, kind, value)))`,
  // Names in byte order for listing (repositories, users); checked against the records.
  `CREATE TABLE IF NOT EXISTS listing (ns text, kind text, key blob, owner text, PRIMARY KEY ((ns, kind), key, owner))`,
  // Audit events in one partition per UTC day, in (timestamp, id) order.
  `CREATE TABLE IF NOT EXISTS events (ns text, day int, ts bigint, id text, record blob, PRIMARY KEY ((ns, day), ts, id))
     WITH CLUSTERING ORDER BY (ts ASC, id ASC)`,
  `CREATE TABLE IF NOT EXISTS event_days (ns text, day int, PRIMARY KEY ((ns), day))`,
  `CREATE TABLE IF NOT EXISTS config (ns text, key blob, value text, PRIMARY KEY ((ns), key))`,
];

/** CREATE KEYSPACE for the configured replication. */
export function createKeyspace(settings: ScyllaSettings): string {
  const { strategy, factors } = settings.replication;
  const entries = Object.entries(factors).map(([k, v]) => `'${k}': ${v}`);
  return `CREATE KEYSPACE IF NOT EXISTS ${settings.keyspace} WITH replication = {'class': '${strategy}', ${entries.join(', ')}}`;
}
