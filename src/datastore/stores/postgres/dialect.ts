/**
 * What differs between PostgreSQL and the databases that speak its protocol.
 * The PostgreSQL store is written once against this; CockroachDB is a small
 * subclass (../cockroach/dialect.ts).
 */
export interface Dialect {
  /** Registry type name and the product name used in messages. */
  readonly type: string;
  readonly product: string;
  /** Appended to every sorted or prefix-filtered text column so order is code point (byte) order. */
  readonly textCollation: string;
  /** DDL tail of the objects table: hash partitions on PostgreSQL, nothing where there are none. */
  objectsPartitioning(): { tableSuffix: string; partitions: string[] };
  /** The statement that writes `columns` into `table`, replacing the row with the same `key`. */
  upsert(table: string, columns: readonly string[], key: readonly string[]): string;
  /** COPY for bulk object writes and large object reads; otherwise multi-row INSERT and plain SELECT. */
  readonly copy: boolean;
  /** Largest object accepted, in bytes. */
  readonly maxObjectSize: number;
  /** LISTEN/NOTIFY change events. */
  readonly notifications: boolean;
  /** Session advisory locks (pg_advisory_lock); otherwise a row lock in the locks table. */
  readonly advisoryLocks: boolean;
  /** Isolation levels begin() accepts; the first is the default. */
  readonly isolationLevels: Array<'read-committed' | 'repeatable-read' | 'serializable'>;
  /** The BEGIN of write()'s own transactions. */
  readonly writeBegin: string;
  /** How many times write() re-runs a whole batch after a serialization failure or deadlock. */
  readonly writeRetries: number;
  /** The server has fsync and synchronous_commit settings that can make commits non-durable. */
  readonly durabilitySettings: boolean;
  /** REFRESH MATERIALIZED VIEW statement. */
  refreshView(name: string): string;
}

export class PostgresDialect implements Dialect {
  readonly type: string = 'postgres';
  readonly product: string = 'PostgreSQL';
  readonly textCollation: string = ' COLLATE "C"';
  readonly copy: boolean = true;
  /** bytea takes 1 GB, but a row travels whole in one protocol message and one Buffer. */
  readonly maxObjectSize: number = 256 * 1024 * 1024;
  readonly notifications: boolean = true;
  readonly advisoryLocks: boolean = true;
  readonly isolationLevels: Dialect['isolationLevels'] = ['read-committed', 'repeatable-read', 'serializable'];
  /** Row locks (SELECT ... FOR UPDATE) make compare-and-swap exact at read committed. */
  readonly writeBegin: string = 'BEGIN ISOLATION LEVEL READ COMMITTED';
  readonly writeRetries: number = 3;
  readonly durabilitySettings: boolean = true;

  objectsPartitioning(): { tableSuffix: string; partitions: string[] } {
    const partitions = [0, 1, 2, 3].map(
      (r) => `CREATE TABLE IF NOT EXISTS objects_${r} PARTITION OF objects FOR VALUES WITH (MODULUS 4, REMAINDER ${r})`,
    );
    return { tableSuffix: ' PARTITION BY HASH (id)', partitions };
  }

  upsert(table: string, columns: readonly string[], key: readonly string[]): string {
    const params = columns.map((_, i) => `$${i + 1}`).join(', ');
    const sets = columns.filter((c) => !key.includes(c)).map((c) => `${c} = EXCLUDED.${c}`);
    const action = sets.length > 0 ? `DO UPDATE SET ${sets.join(', ')}` : 'DO NOTHING';
    return `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${params}) ON CONFLICT (${key.join(', ')}) ${action}`;
  }

  refreshView(name: string): string {
    // CONCURRENTLY keeps the view readable during the refresh (it has a unique index).
    return `REFRESH MATERIALIZED VIEW CONCURRENTLY ${name}`;
  }
}
