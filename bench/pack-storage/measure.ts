/**
 * Measurements of bench/pack-storage.ts: bytes on disk, in PostgreSQL and in
 * Redis; the resident memory of a process (VmHWM, VmRSS) and of a process
 * tree (git daemon forks a process per request, which forks pack-objects or
 * index-pack), sampled.
 */
import { readdirSync, readFileSync, lstatSync, existsSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes allocated on disk under `path` (du: st_blocks * 512, so a sparse LMDB map counts what it uses). */
export function diskBytes(path: string, skip: (name: string) => boolean = () => false): number {
  if (!existsSync(path)) return 0;
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.blocks * 512;
  let total = 0;
  for (const name of readdirSync(path)) if (!skip(name)) total += diskBytes(join(path, name), skip);
  return total;
}

/** Apparent size (st_size) of the files under `path`. */
export function fileBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const name of readdirSync(path)) total += fileBytes(join(path, name));
  return total;
}

/** Per table (indexes counted with their table), bytes of a SQLite file, from the dbstat virtual table. */
export async function sqliteTableBytes(file: string): Promise<Record<string, number>> {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(`SELECT COALESCE(m.tbl_name, d.name) AS t, SUM(d.pgsize) AS bytes FROM dbstat d LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY t ORDER BY bytes DESC`)
      .all() as Array<{ t: string; bytes: number }>;
    return Object.fromEntries(rows.map((r) => [r.t, r.bytes]));
  } finally {
    db.close();
  }
}

/** Per table of `schema` (partitions, indexes and TOAST included): pg_total_relation_size. */
export async function postgresTableBytes(url: string, schema: string): Promise<Record<string, number>> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const r = await client.query<{ relname: string; bytes: string }>(
      `SELECT c.relname, pg_total_relation_size(c.oid)::text AS bytes FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND c.relkind IN ('r', 'm') ORDER BY pg_total_relation_size(c.oid) DESC`,
      [schema],
    );
    return Object.fromEntries(r.rows.map((row) => [row.relname, Number(row.bytes)]));
  } finally {
    await client.end();
  }
}

export async function postgresQuery(url: string, sql: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** INFO <section> of a Redis server as a map. */
export async function redisInfo(url: string, section: string): Promise<Record<string, string>> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const text = await client.info(section);
    return Object.fromEntries(
      text
        .split('\r\n')
        .filter((l) => l.includes(':'))
        .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]),
    );
  } finally {
    client.disconnect();
  }
}

/** BGREWRITEAOF, waits for it to finish; returns the server's dir/appenddirname bytes. */
export async function redisRewriteAof(url: string): Promise<{ aofBytes: number; dir: string; ms: number }> {
  const { Redis } = await import('ioredis');
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  const start = performance.now();
  try {
    await client.connect();
    const dir = ((await client.config('GET', 'dir')) as string[])[1];
    const aofDir = ((await client.config('GET', 'appenddirname')) as string[])[1] ?? 'appendonlydir';
    // A rewrite already running makes BGREWRITEAOF schedule one more, which is what we want too.
    await client.bgrewriteaof();
    const deadline = Date.now() + 10 * 60_000;
    for (;;) {
      await new Promise((r) => setTimeout(r, 100));
      const info = await client.info('persistence');
      if (/aof_rewrite_in_progress:0/.test(info) && /aof_rewrite_scheduled:0/.test(info)) break;
      if (Date.now() > deadline) throw new Error('BGREWRITEAOF did not finish in 10 minutes');
    }
    return { aofBytes: fileBytes(join(dir, aofDir)), dir: join(dir, aofDir), ms: performance.now() - start };
  } finally {
    client.disconnect();
  }
}

/** A field of /proc/<pid>/status in bytes (VmHWM, VmRSS), or undefined when the process is gone. */
export function procStatusBytes(pid: number, field: 'VmHWM' | 'VmRSS'): number | undefined {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The pids below `root` (not root itself), from /proc/<pid>/stat's ppid. */
function descendants(root: number): number[] {
  const parent = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(Number(name), ppid);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [child, p] of parent) if (p === pid) out.push(child), walk(child);
  };
  walk(root);
  return out;
}

/** CPU seconds of one process: user and system, with those of the children it has reaped (100 ticks a second); 0 once gone. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
  } catch {
    return 0; // exited meanwhile: counted by its parent once reaped
  }
}

/** CPU seconds of `pid` and its live descendants (git daemon is a wrapper whose child forks a process per connection). */
export function treeCpuSeconds(pid: number): number {
  return [pid, ...descendants(pid)].reduce((sum, p) => sum + cpuSecondsOf(p), 0);
}

/** VmRSS and RssAnon (anonymous memory: heap, not file pages such as a mapped pack) of a process, in bytes. */
function rssOf(pid: number): { rss: number; anon: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), anon: kb('RssAnon') };
  } catch {
    return { rss: 0, anon: 0 };
  }
}

/**
 * Samples, every `everyMs`, the RSS and RssAnon of `pid` (with `tree`, the
 * sums over its descendants, not counting `pid` itself: git daemon's
 * per-request processes). stop() returns the peaks of the samples.
 */
export function sampleRss(pid: number, options: { tree: boolean; everyMs?: number }): { stop(): { rss: number; anon: number } } {
  const peak = { rss: 0, anon: 0 };
  const sample = () => {
    const pids = options.tree ? descendants(pid) : [pid];
    let rss = 0;
    let anon = 0;
    for (const p of pids) {
      const r = rssOf(p);
      rss += r.rss;
      anon += r.anon;
    }
    peak.rss = Math.max(peak.rss, rss);
    peak.anon = Math.max(peak.anon, anon);
  };
  sample();
  const timer = setInterval(sample, options.everyMs ?? 25);
  let stopped = false;
  return {
    stop() {
      if (!stopped) {
        clearInterval(timer);
        sample();
        stopped = true;
      }
      return { ...peak };
    },
  };
}
