/**
 * CockroachDB speaks PostgreSQL's protocol and most of its SQL. What differs:
 * no hash partitions (ranges split by themselves), UPSERT for blind writes
 * (faster than INSERT ... ON CONFLICT on tables without secondary indexes),
 * serializable isolation only, serialization failures (40001) common under
 * contention and so retried, no LISTEN/NOTIFY, no advisory locks, no COPY
 * inside transactions, byte-order strings without a COLLATE clause.
 */
import { PostgresDialect, type Dialect } from '../postgres/dialect.js';

export interface CockroachDialectOptions {
  /** false: INSERT ... ON CONFLICT DO UPDATE instead of UPSERT (both databases accept it). */
  upsert: boolean;
}

export class CockroachDialect extends PostgresDialect {
  override readonly type = 'cockroach';
  override readonly product = 'CockroachDB';
  override readonly textCollation = '';
  override readonly copy = false;
  /** Well under the 64 MiB raft command limit (kv.raft.command.max_size); CockroachDB advises small rows. */
  override readonly maxObjectSize = 16 * 1024 * 1024;
  override readonly notifications = false;
  override readonly advisoryLocks = false;
  override readonly isolationLevels: Dialect['isolationLevels'] = ['serializable'];
  override readonly writeBegin = 'BEGIN ISOLATION LEVEL SERIALIZABLE';
  /** Contended writes fail with 40001 and succeed when re-run: client-side retries, as CockroachDB advises. */
  override readonly writeRetries = 10;
  /** Commits are replicated through raft and synced; there is no fsync switch to check. */
  override readonly durabilitySettings = false;

  constructor(private readonly options: CockroachDialectOptions = { upsert: true }) {
    super();
  }

  override objectsPartitioning(): { tableSuffix: string; partitions: string[] } {
    return { tableSuffix: '', partitions: [] };
  }

  override upsert(table: string, columns: readonly string[], key: readonly string[]): string {
    if (!this.options.upsert) return super.upsert(table, columns, key);
    return `UPSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`;
  }

  override refreshView(name: string): string {
    return `REFRESH MATERIALIZED VIEW ${name}`;
  }
}
