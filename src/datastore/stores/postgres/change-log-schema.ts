/**
 * The change log's tables and triggers (schema migration 5). Statement-level
 * AFTER triggers with transition tables append one row per statement and
 * kind (the changed keys as an array) to change_log, in the writing
 * transaction, and NOTIFY the log's channel (folded to one per transaction);
 * they do nothing while no follower is registered.
 */

/** The tables logged: the log kind, the key columns, and the SELECT that groups a statement's rows. */
const LOGGED = [
  { table: 'objects', select: `SELECT 'object', NULL::text, array_agg(id), NULL::bigint[] FROM changed HAVING count(*) > 0` },
  { table: 'repositories', select: `SELECT 'repository', NULL::text, array_agg(id), NULL::bigint[] FROM changed HAVING count(*) > 0` },
  { table: 'refs', select: `SELECT 'ref', repository_id, array_agg(name), NULL::bigint[] FROM changed GROUP BY repository_id` },
  { table: 'users', select: `SELECT 'user', NULL::text, array_agg(id), NULL::bigint[] FROM changed HAVING count(*) > 0` },
  {
    table: 'audit_events',
    select: `SELECT 'event', NULL::text, array_agg(id), array_agg((extract(epoch FROM occurred_at) * 1000)::bigint) FROM changed HAVING count(*) > 0`,
  },
  { table: 'config', select: `SELECT 'config', NULL::text, array_agg(key), NULL::bigint[] FROM changed HAVING count(*) > 0` },
] as const;

/** Logged from migration 7 on: which commits a repository's index gained or lost. */
const COMMITS_LOGGED = { table: 'repository_commits', select: `SELECT 'commit', repository_id, array_agg(commit_id), NULL::bigint[] FROM changed GROUP BY repository_id` };

/** Every table whose writes a follower must see (the reader locks them all to fix the log's head). */
export const LOGGED_TABLES = [...LOGGED.map((l) => l.table), COMMITS_LOGGED.table];

/** The NOTIFY channel the triggers wake followers on (the same expression in SQL and here). */
export const LOG_CHANNEL_SQL = `'govc_log_' || left(md5(current_schema()), 24)`;

export function changeLogStatements(): string[] {
  const statements = [
    `CREATE TABLE IF NOT EXISTS change_log (
      seq BIGSERIAL PRIMARY KEY,
      kind TEXT NOT NULL,
      repository_id TEXT,
      keys TEXT[] NOT NULL,
      times BIGINT[]
    )`,
    `CREATE TABLE IF NOT EXISTS change_followers (
      name TEXT NOT NULL PRIMARY KEY,
      position BIGINT NOT NULL,
      acked_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`,
    // Rows below trimmed_below are gone: a follower positioned before it must copy in full again.
    `CREATE TABLE IF NOT EXISTS change_log_state (
      id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
      trimmed_below BIGINT NOT NULL
    )`,
    `INSERT INTO change_log_state (id, trimmed_below) VALUES (1, 0) ON CONFLICT (id) DO NOTHING`,
  ];
  for (const logged of LOGGED) statements.push(...triggerStatements(logged));
  return statements;
}

/** Schema migration 7: the commit index's table is logged too, so --incremental carries commit rows. */
export function commitLogStatements(): string[] {
  return triggerStatements(COMMITS_LOGGED);
}

/** The trigger function of one table and its insert, update and delete triggers. */
function triggerStatements({ table, select }: { table: string; select: string }): string[] {
  const fn = `govc_log_${table}`;
  const statements = [
    `CREATE OR REPLACE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS $f$
      BEGIN
        IF EXISTS (SELECT 1 FROM change_followers) THEN
          INSERT INTO change_log (kind, repository_id, keys, times) ${select};
          PERFORM pg_notify(${LOG_CHANNEL_SQL}, '');
        END IF;
        RETURN NULL;
      END $f$`,
  ];
  for (const [event, transition] of [['insert', 'NEW'], ['update', 'NEW'], ['delete', 'OLD']] as const) {
    const trigger = `${fn}_${event}`;
    statements.push(`DROP TRIGGER IF EXISTS ${trigger} ON ${table}`);
    statements.push(`CREATE TRIGGER ${trigger} AFTER ${event.toUpperCase()} ON ${table} REFERENCING ${transition} TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`);
  }
  return statements;
}
