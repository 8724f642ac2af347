/**
 * A cache of the packs sent for clones, as Gitaly's pack-objects cache keeps
 * them: a clone asks for the objects reachable from its wants and has
 * nothing, so the same wants (with the same options) always call for the
 * same objects, and the pack made for one such request serves every other
 * until it expires. Identical clones in flight at once (a CI fleet) share
 * one pack being made: the first request writes it to a temporary file, the
 * others follow that file as it grows. It is all files in one directory, so
 * several threads or processes of one server share it.
 *
 * Fetches with haves, and shallow clients' fetches, are never cached: their
 * packs depend on what each client has.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { promises as fs } from 'node:fs';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { ConflictError } from '../../datastore/errors.js';
import type { ObjectFormat } from '../../datastore/types.js';
import type { GitOutput } from './sideband.js';

export interface PackCacheOptions {
  /** The directory the packs are kept in (created when missing). */
  dir: string;
  /** A pack is served for this long after it was made, then removed. */
  maxAgeMs: number;
  /** The packs together stay under this; the oldest go first. */
  maxBytes: number;
}

/** What decides a clone's pack; two requests with equal keys get the same objects. */
export interface CloneRequest {
  repositoryId: string;
  format: ObjectFormat;
  wants: readonly string[];
  ofsDelta: boolean;
  includeTag: boolean;
  /** The repository's annotated tags as `tag peeled` lines, when include-tag can add them. */
  tags: readonly string[];
  filter?: string;
  /** The shallow boundary a deepen request drew. */
  shallow?: ReadonlySet<string>;
}

export interface PackWritten {
  count: number;
  bytes: number;
  reused: number;
}

/** How a cached answer came: made here, read from a finished pack, or followed while another request made it. */
export type CacheUse = 'made' | 'hit' | 'followed';

/** A writer that has stopped beating for this long has died (its process was killed). */
const STALE_MS = 15_000;
const HEARTBEAT_MS = 2_000;
const POLL_MS = 10;
const READ_CHUNK = 1 << 16;

export function cloneKey(req: CloneRequest): string {
  const h = createHash('sha256');
  const field = (name: string, value: string) => h.update(`${name} ${value}\n`);
  field('version', '1');
  field('repository', req.repositoryId);
  field('format', req.format);
  for (const w of [...req.wants].sort()) field('want', w);
  field('ofs-delta', String(req.ofsDelta));
  field('include-tag', String(req.includeTag));
  if (req.includeTag) for (const t of [...req.tags].sort()) field('tag', t);
  field('filter', req.filter ?? '');
  for (const s of [...(req.shallow ?? [])].sort()) field('shallow', s);
  return h.digest('hex');
}

/**
 * Answers a clone from the cache, or makes its pack with `make` (which
 * writes it to the sink it is given and ends it) and keeps it. A failure to keep the
 * pack never fails the clone: the pack still goes to the client.
 */
export async function sendCachedPack(cache: PackCacheOptions, key: string, out: GitOutput, make: (sink: Writable) => Promise<PackWritten>): Promise<PackWritten & { use: CacheUse }> {
  // Private: it holds the packs of private repositories.
  await fs.mkdir(cache.dir, { recursive: true, mode: 0o700 });
  const final = join(cache.dir, `${key}.pack`);
  const meta = join(cache.dir, `${key}.json`);
  const temp = join(cache.dir, `${key}.tmp`);
  for (;;) {
    const hit = await openIfPresent(final);
    if (hit) {
      try {
        const written = await streamFile(hit, out, async () => true);
        return { ...written, reused: await readReused(meta), use: 'hit' };
      } finally {
        await hit.close();
      }
    }
    const writer = await fs.open(temp, 'wx').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return undefined;
      throw err;
    });
    if (writer) return { ...(await makeAndKeep(cache, writer, { final, meta, temp }, out, make)), use: 'made' };
    const followed = await follow(temp, final, meta, out);
    if (followed) return { ...followed, use: 'followed' };
    // The writer died before sending a byte our way: try again (and make it ourselves).
  }
}

async function makeAndKeep(cache: PackCacheOptions, file: fs.FileHandle, paths: { final: string; meta: string; temp: string }, out: GitOutput, make: (sink: Writable) => Promise<PackWritten>): Promise<PackWritten> {
  let keeping = true;
  let pending: Promise<unknown> = Promise.resolve();
  const drop = () => {
    keeping = false;
  };
  const later = (step: () => Promise<unknown>): Promise<unknown> => {
    if (keeping) pending = pending.then(step).catch(drop);
    return pending;
  };
  const beat = setInterval(() => {
    const now = new Date();
    later(() => file.utimes(now, now));
  }, HEARTBEAT_MS);
  let written: PackWritten;
  try {
    const sink = teeSink(out.packSink(), (chunk) => later(() => file.write(chunk)));
    written = await make(sink);
    await pending;
  } catch (err) {
    await file.close().catch(() => undefined);
    await fs.rm(paths.temp, { force: true });
    throw err;
  } finally {
    clearInterval(beat);
  }
  try {
    await file.close();
    if (!keeping) throw new Error('the cache file could not be written');
    await fs.writeFile(paths.meta, JSON.stringify({ objects: written.count, bytes: written.bytes, reused: written.reused }));
    await fs.rename(paths.temp, paths.final);
    void sweep(cache).catch(() => undefined);
  } catch {
    await fs.rm(paths.temp, { force: true }).catch(() => undefined);
  }
  return written;
}

/** A sink that passes each chunk to `keep` and on to `inner`, waiting for both: memory stays bounded whichever is slower. */
function teeSink(inner: Writable, keep: (chunk: Buffer) => Promise<unknown>): Writable {
  return new Writable({
    highWaterMark: 1 << 16,
    write(chunk: Buffer, _enc, cb) {
      const kept = keep(chunk);
      const passed = inner.write(chunk) ? Promise.resolve() : once(inner, 'drain');
      Promise.all([kept, passed]).then(() => cb(), cb);
    },
    final(cb) {
      inner.end(cb);
    },
  });
}

/**
 * Follows a pack another request is making: sends what is in the file as it
 * grows, until the finished pack's size is reached. Returns undefined when
 * the maker died before anything was sent (the caller starts again).
 */
async function follow(temp: string, final: string, meta: string, out: GitOutput): Promise<PackWritten | undefined> {
  const file = await openIfPresent(temp);
  if (!file) return undefined;
  try {
    const written = await streamFile(file, out, async (position) => {
      const done = await statIfPresent(final);
      if (done) return position >= done.size;
      const growing = await statIfPresent(temp);
      // Renamed between the two looks: finished.
      if (!growing && (await statIfPresent(final))) return false;
      if (!growing || Date.now() - growing.mtimeMs > STALE_MS) {
        if (position > 0) throw new ConflictError('the pack being made for an identical clone was not finished; run the clone again');
        if (growing) await fs.rm(temp, { force: true });
        throw new AbandonedPack();
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
      return false;
    });
    return { ...written, reused: await readReused(meta) };
  } catch (err) {
    if (err instanceof AbandonedPack) return undefined;
    throw err;
  } finally {
    await file.close();
  }
}

class AbandonedPack extends Error {}

/** Sends a pack file to the client; at its current end asks `atEnd` whether it is finished (else it reads on). */
async function streamFile(file: fs.FileHandle, out: GitOutput, atEnd: (position: number) => Promise<boolean>): Promise<Omit<PackWritten, 'reused'>> {
  const buf = Buffer.alloc(READ_CHUNK);
  let position = 0;
  let count = -1;
  for (;;) {
    const { bytesRead } = await file.read(buf, 0, buf.length, position);
    if (bytesRead === 0) {
      if (await atEnd(position)) break;
      continue;
    }
    if (count < 0 && position === 0 && bytesRead >= 12) {
      count = buf.readUInt32BE(8);
      await out.progress(`Enumerating objects: ${count}, done (a pack made for an identical clone).\n`);
    }
    await out.data(Buffer.from(buf.subarray(0, bytesRead)));
    position += bytesRead;
  }
  return { count: Math.max(count, 0), bytes: position };
}

async function readReused(meta: string): Promise<number> {
  try {
    return (JSON.parse(await fs.readFile(meta, 'utf8')) as { reused?: number }).reused ?? 0;
  } catch {
    return 0;
  }
}

async function openIfPresent(path: string): Promise<fs.FileHandle | undefined> {
  return fs.open(path, 'r').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

async function statIfPresent(path: string) {
  return fs.stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
}

/** Removes packs past their age, then the oldest until the rest fit in maxBytes; and temp files of dead writers. */
export async function sweep(cache: PackCacheOptions, now = Date.now()): Promise<void> {
  const names = await fs.readdir(cache.dir).catch(() => [] as string[]);
  const packs: { key: string; mtime: number; size: number }[] = [];
  for (const name of names) {
    const stat = await statIfPresent(join(cache.dir, name));
    if (!stat) continue;
    if (name.endsWith('.tmp') && now - stat.mtimeMs > Math.max(STALE_MS, cache.maxAgeMs)) await fs.rm(join(cache.dir, name), { force: true });
    if (name.endsWith('.json') && now - stat.mtimeMs > cache.maxAgeMs) await fs.rm(join(cache.dir, name), { force: true });
    if (name.endsWith('.pack')) packs.push({ key: name.slice(0, -5), mtime: stat.mtimeMs, size: stat.size });
  }
  packs.sort((a, b) => b.mtime - a.mtime);
  let total = 0;
  for (const p of packs) {
    total += p.size;
    if (now - p.mtime > cache.maxAgeMs || total > cache.maxBytes) {
      await fs.rm(join(cache.dir, `${p.key}.pack`), { force: true });
      await fs.rm(join(cache.dir, `${p.key}.json`), { force: true });
    }
  }
}
