/** Bringing a database to the schema this code knows, and refusing one from a newer govc. */
import type { Database } from 'better-sqlite3';
import { ConfigError, UnsupportedError } from '../../errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';

/** `PRAGMA application_id` of govc databases ("govc" in ASCII), so a foreign SQLite file is refused. */
export const GOVC_APPLICATION_ID = 0x676f7663;

function schemaVersion(db: Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function checkVersion(path: string, version: number, known: number): void {
  if (version > known) {
    throw new UnsupportedError(
      `SQLite database ${path} has schema version ${version}, newer than this govc knows (${known}); upgrade govc to open it`,
      { path, version, known },
    );
  }
}

function checkApplication(db: Database, path: string): void {
  const id = db.pragma('application_id', { simple: true }) as number;
  const empty = (db.prepare("SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").pluck().get() as number) === 0;
  if (id !== GOVC_APPLICATION_ID && !(id === 0 && empty)) {
    throw new ConfigError(`${path} is an SQLite database of another application (application_id ${id}); point the sqlite store at a new or govc file`, {
      key: 'connection',
      path,
    });
  }
}

/** Applies pending migrations; returns the versions before and after. */
export function migrate(db: Database, path: string, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const latest = migrations.length ? migrations[migrations.length - 1].version : 0;
  const from = schemaVersion(db);
  checkVersion(path, from, latest);
  if (from > 0) checkApplication(db, path);
  if (from === latest) return { from, to: from };
  for (const m of migrations.filter((x) => x.version > from)) {
    // IMMEDIATE takes the write lock first, then re-reads: another process may have migrated meanwhile.
    db.transaction(() => {
      const current = schemaVersion(db);
      if (current >= m.version) return;
      if (current === 0) checkApplication(db, path);
      db.exec(m.sql);
      db.pragma(`application_id = ${GOVC_APPLICATION_ID}`);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return { from, to: schemaVersion(db) };
}
