/**
 * Migration figures (issue 13): a generated repository (bench/pack-storage's
 * history generator, cached) imported into SQLite plus `--events` audit
 * events, then in one run, each step timed: migrate SQLite → PostgreSQL →
 * LMDB → Redis (objects/s, MB/s of stored entries), export SQLite to an
 * archive and import it into a fresh LMDB, verify SQLite against Redis; the
 * archive's size against the SQLite store's. Baselines in the same run:
 * copying the SQLite file, and gzip -6 of it.
 *
 *   node dist/bench/migration.js [--commits 20000] [--files 400] [--events 100000] [--parallel 16] [--batch-size 2000] [--postgres-url URL] [--json]
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { createStore, type DataStore } from '../src/datastore/index.js';
import type { WriteOp } from '../src/datastore/driver.js';
import { importArchive } from '../src/datastore/migration/archive/import-archive.js';
import { exportArchive } from '../src/datastore/migration/archive/write-archive.js';
import { copyStore, type CopySummary } from '../src/datastore/migration/copy.js';
import { verifyStores } from '../src/datastore/migration/verify.js';
import { gitEnv } from '../support/git.js';
import { startStandaloneRedis } from '../support/redis-servers.js';
import { cached, generateHistory, packInfo } from './pack-storage/generate.js';
import { fileBytes } from './pack-storage/measure.js';
import { CLI } from '../support/govc.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};
const OPTS = {
  commits: Number(arg('commits', '20000')),
  files: Number(arg('files', '400')),
  events: Number(arg('events', '100000')),
  parallel: Number(arg('parallel', '16')),
  batchSize: Number(arg('batch-size', '2000')),
  postgresUrl: arg('postgres-url', process.env.GOVC_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test'),
  json: process.argv.includes('--json'),
};
const log = (line: string) => process.stderr.write(`[migration ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const MB = 1024 * 1024;

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; s: number }> {
  const start = performance.now();
  const value = await fn();
  return { value, s: (performance.now() - start) / 1000 };
}

async function addEvents(store: DataStore, n: number): Promise<void> {
  const start = Date.parse('2026-01-01T00:00:00Z');
  for (let at = 0; at < n; at += 1000) {
    const ops: WriteOp[] = [];
    for (let i = at; i < Math.min(n, at + 1000); i++) {
      ops.push({ op: 'appendEvent', event: { id: randomUUID(), timestamp: new Date(start + i * 1000), userId: null, action: i % 3 ? 'push' : 'login', resource: `repo/${i % 50}`, repositoryId: null, details: { i } } });
    }
    await store.driver.write(ops);
  }
}

/** The commits the bench repository's commit index holds in `store`. */
async function indexedCommits(store: DataStore): Promise<number> {
  const repo = await store.getRepositoryByName('bench');
  return repo ? (await store.countIndexedCommits(repo.id)).commits : 0;
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'govc-bench-migration-'));
  const env = gitEnv(work);
  const redis = await startStandaloneRedis(['--appendfsync', 'everysec']);
  const schema = `bench_migration_${process.pid}`;
  const stores: DataStore[] = [];
  const open = async (uri: string) => {
    const s = await createStore(uri);
    stores.push(s);
    return s;
  };
  try {
    const key = `history-c${OPTS.commits}-f${OPTS.files}-v1`;
    const history = await cached(join(tmpdir(), 'govc-bench-pack-storage'), key, env, (repo) => generateHistory(repo, env, { commits: OPTS.commits, files: OPTS.files }));
    const info = packInfo(history.repo, env);
    log(`repository: ${info.commits} commits, ${info.objects} objects (${history.reused ? 'cached' : 'generated'})`);
    const sqlitePath = join(work, 'source.db');
    const uris = {
      sqlite: `sqlite://${sqlitePath}`,
      postgres: `${OPTS.postgresUrl.replace(/^postgresql:/, 'postgres:')}?schema=${schema}`,
      lmdb: `lmdb://${join(work, 'chain.lmdb')}`,
      redis: `${redis.url}?prefix=bench`,
      imported: `lmdb://${join(work, 'imported.lmdb')}`,
    };
    // With its commit index: migrate carries the index's rows too (into PostgreSQL's own tables).
    execFileSync(process.execPath, [CLI, 'repo', 'import', history.repo, '--store', uris.sqlite, '--name', 'bench'], { stdio: ['ignore', 'ignore', 'inherit'] });
    const sqlite = await open(uris.sqlite);
    await addEvents(sqlite, OPTS.events);
    const objects = (await sqlite.metrics()).objectCount;
    const sqliteBytes = statSync(sqlitePath).size;
    const indexed = await indexedCommits(sqlite);
    log(`source: ${objects} objects, ${await sqlite.countEvents()} events, ${indexed} indexed commits, SQLite file ${(sqliteBytes / MB).toFixed(1)} MB`);

    const copyBaseline = await timed(async () => copyFileSync(sqlitePath, join(work, 'copy.db')));
    const gzipBaseline = await timed(() => pipeline(createReadStream(sqlitePath), createGzip({ level: 6 }), createWriteStream(join(work, 'copy.db.gz'))));
    const gzipBytes = statSync(join(work, 'copy.db.gz')).size;

    const rows: Array<{ step: string; seconds: number; objectsPerSecond?: number; mbPerSecond?: number; bytes?: number }> = [];
    const migrate = async (from: DataStore, toUri: string, name: string) => {
      const to = await open(toUri);
      const r = await timed(() => copyStore(from, to, name, { parallel: OPTS.parallel, batchSize: OPTS.batchSize }));
      const s: CopySummary = r.value;
      rows.push({ step: `migrate ${name}`, seconds: r.s, objectsPerSecond: s.copied.object / r.s, mbPerSecond: s.objectBytes / MB / r.s });
      const commits = await indexedCommits(to);
      if (commits !== indexed) throw new Error(`migrate ${name} left ${commits} indexed commits, the source has ${indexed}`);
      log(`migrate ${name}: ${r.s.toFixed(1)} s, ${s.copied.object} objects, ${s.copied.event} events, ${commits} indexed commits`);
      return to;
    };
    const postgres = await migrate(sqlite, uris.postgres, 'sqlite → postgres');
    const lmdb = await migrate(postgres, uris.lmdb, 'postgres → lmdb');
    const redisStore = await migrate(lmdb, uris.redis, 'lmdb → redis');

    const archive = join(work, 'backup.tar.gz');
    const exp = await timed(() => exportArchive(sqlite, archive));
    rows.push({ step: 'export sqlite', seconds: exp.s, objectsPerSecond: objects / exp.s, mbPerSecond: exp.value.objectBytes / MB / exp.s, bytes: exp.value.archiveBytes });
    log(`export: ${exp.s.toFixed(1)} s, ${(exp.value.archiveBytes / MB).toFixed(1)} MB`);
    const imported = await open(uris.imported);
    const imp = await timed(() => importArchive(imported, archive, { batchSize: OPTS.batchSize }));
    rows.push({ step: 'import → lmdb (checks, then writes)', seconds: imp.s, objectsPerSecond: objects / imp.s, mbPerSecond: exp.value.objectBytes / MB / imp.s });
    log(`import: ${imp.s.toFixed(1)} s`);
    const ver = await timed(() => verifyStores(sqlite, redisStore, { parallel: OPTS.parallel }));
    rows.push({ step: 'verify sqlite vs redis', seconds: ver.s, objectsPerSecond: objects / ver.s });
    if (!ver.value.equal) throw new Error(`verify found ${ver.value.differences} differences: ${JSON.stringify(ver.value.first.slice(0, 5))}`);
    log(`verify: ${ver.s.toFixed(1)} s, equal`);

    const result = {
      objects,
      events: OPTS.events,
      storedEntryBytes: exp.value.objectBytes,
      sqliteFileBytes: sqliteBytes,
      archiveBytes: exp.value.archiveBytes,
      archiveOverSqlite: exp.value.archiveBytes / sqliteBytes,
      gzipOfSqliteBytes: gzipBytes,
      archiveOverGzipOfSqlite: exp.value.archiveBytes / gzipBytes,
      baselines: { copySqliteFileSeconds: copyBaseline.s, gzipSqliteFileSeconds: gzipBaseline.s },
      lmdbBytes: fileBytes(join(work, 'chain.lmdb')),
      rows,
    };
    if (OPTS.json) process.stdout.write(JSON.stringify(result) + '\n');
    else {
      const lines = rows.map((r) => `${r.step.padEnd(38)} ${r.seconds.toFixed(1).padStart(7)} s ${r.objectsPerSecond ? `${r.objectsPerSecond.toFixed(0).padStart(8)} objects/s` : ''}${r.mbPerSecond ? ` ${r.mbPerSecond.toFixed(1).padStart(6)} MB/s` : ''}`);
      lines.push(`baselines: copy of the SQLite file ${copyBaseline.s.toFixed(2)} s, gzip -6 of it ${gzipBaseline.s.toFixed(1)} s`);
      lines.push(`sizes: SQLite file ${(sqliteBytes / MB).toFixed(1)} MB, stored entries ${(exp.value.objectBytes / MB).toFixed(1)} MB, archive ${(exp.value.archiveBytes / MB).toFixed(1)} MB (${result.archiveOverSqlite.toFixed(2)} × the SQLite file, ${result.archiveOverGzipOfSqlite.toFixed(2)} × its gzip)`);
      process.stdout.write(`${objects} objects + ${OPTS.events} events\n${lines.join('\n')}\n`);
    }
  } finally {
    for (const s of stores) await s.close().catch(() => undefined);
    await redis.stop();
    try {
      execFileSync('psql', ['-X', '-q', OPTS.postgresUrl, '-c', `DROP SCHEMA IF EXISTS ${schema} CASCADE`], { stdio: 'ignore' });
    } catch {
      log(`could not drop schema ${schema}`);
    }
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
