/**
 * The objects a clone gets, kept on disk per set of wants, as git keeps
 * reachability bitmaps: objects are immutable and named by their content,
 * so what a set of ids reaches never changes, and the list made for one
 * clone serves every clone with the same wants (a ref that moves changes
 * the wants, so nothing goes stale). A clone with other wants starts from
 * the repository's latest list when every want of that list is still
 * reachable from the new wants (history grew: a push, a new branch or tag):
 * it walks only what the new wants reach beyond the old ones, as a fetch
 * that has the old wants would, and adds the old list. Otherwise (a branch
 * deleted or rewound) it walks everything again. Files are written whole
 * (temp file, rename) and checksummed; a damaged one is ignored. Lists
 * hold ids, not objects: whether the client may have them was decided by
 * the wants, which upload-pack checked.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import type { ObjectFormat } from '../../datastore/types.js';
import type { EntryStash } from '../transfer/entry-stash.js';
import { decodeSendList, encodeSendList } from '../transfer/send-list-file.js';
import type { SendList } from '../transfer/send-list.js';
import { Walker } from './walk.js';
import type { WalkSource } from '../store/object-reader.js';

export interface CloneListOptions {
  /** The directory the lists are kept in (created when missing). */
  dir: string;
  /** The lists together stay under this; the oldest go first. */
  maxBytes: number;
}

/** Lists kept per repository: the latest, and the one before while clones of it may still come. */
const KEPT_PER_REPOSITORY = 2;
/** Commits older than the oldest old want by more than this are not followed to find it (clock skew allowance). */
const SKEW_SECONDS = 86_400;

export type CloneListUse = 'hit' | 'extended' | 'walked';

/** Every object reachable from `wants`, from the lists where they serve; the list made is kept for the next clone. */
export async function cloneObjects(
  store: WalkSource,
  lists: { options: CloneListOptions; repositoryId: string },
  wants: readonly string[],
  stash?: EntryStash,
): Promise<{ sending: SendList; use: CloneListUse }> {
  const wanted = [...new Set(wants)].sort();
  const dir = join(lists.options.dir, createHash('sha256').update(lists.repositoryId).digest('hex').slice(0, 32));
  const file = join(dir, `${listKey(store.objectFormat, wanted)}.list`);
  const exact = await readList(file, store.objectFormat, wanted);
  if (exact) {
    // Touched, so the lists in use are the last evicted.
    const now = new Date();
    await fs.utimes(file, now, now).catch(() => undefined);
    return { sending: exact, use: 'hit' };
  }
  const prior = await priorList(store, dir, wanted);
  let sending: SendList;
  if (prior) {
    sending = await new Walker(store).objectsToSend(wanted, prior.wants, { stash });
    for (const o of prior.list) sending.push(o.id, o.type, o.name);
  } else {
    sending = await new Walker(store).objectsToSend(wanted, [], { stash });
  }
  await keep(lists.options, dir, file, encodeSendList(sending, { format: store.objectFormat, wants: wanted })).catch(() => undefined);
  return { sending, use: prior ? 'extended' : 'walked' };
}

function listKey(format: ObjectFormat, wants: readonly string[]): string {
  return createHash('sha256').update(`${format}\n${wants.join('\n')}`).digest('hex');
}

/** The list in `file` when it is one for these wants; undefined when absent, damaged or for others. */
async function readList(file: string, format: ObjectFormat, wants: readonly string[]): Promise<SendList | undefined> {
  const found = await readAny(file);
  return found && found.head.format === format && sameWants(found.head.wants, wants) ? found.list : undefined;
}

async function readAny(file: string): Promise<ReturnType<typeof decodeSendList> | undefined> {
  const bytes = await fs.readFile(file).catch(() => undefined);
  if (!bytes) return undefined;
  try {
    return decodeSendList(bytes);
  } catch {
    return undefined;
  }
}

function sameWants(stored: unknown, wants: readonly string[]): boolean {
  return Array.isArray(stored) && stored.length === wants.length && stored.every((w, i) => w === wants[i]);
}

/** The repository's latest list whose wants are all reachable from `wants`, with those wants. */
async function priorList(store: WalkSource, dir: string, wants: readonly string[]): Promise<{ list: SendList; wants: string[] } | undefined> {
  const files = await listFiles(dir);
  const latest = files[files.length - 1];
  if (!latest) return undefined;
  const found = await readAny(latest.path);
  if (!found || found.head.format !== store.objectFormat || !Array.isArray(found.head.wants)) return undefined;
  const old = found.head.wants as string[];
  return (await allReachable(store, wants, old)) ? { list: found.list, wants: old } : undefined;
}

/** Whether every id of `old` is reachable from `tips`: one of them, or a commit in their history. */
async function allReachable(store: WalkSource, tips: readonly string[], old: readonly string[]): Promise<boolean> {
  const tipSet = new Set(tips);
  const targets = old.filter((id) => !tipSet.has(id));
  if (targets.length === 0) return true;
  const walker = new Walker(store);
  // Only commits can be reached through history; an old tag, tree or blob want that is no tip now is not known to be reachable.
  const commits = await walker.commits.load(targets);
  if (commits.size !== targets.length) return false;
  const oldest = Math.min(...[...commits.values()].map((c) => c.time));
  const reached = await walker.reachableCommits(tips, targets, oldest - SKEW_SECONDS);
  return reached.size === targets.length;
}

/** The lists of a repository, oldest first. */
async function listFiles(dir: string): Promise<Array<{ path: string; mtimeMs: number; size: number }>> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const files = [];
  for (const name of names) {
    if (!name.endsWith('.list')) continue;
    const stat = await fs.stat(join(dir, name)).catch(() => undefined);
    if (stat) files.push({ path: join(dir, name), mtimeMs: stat.mtimeMs, size: stat.size });
  }
  return files.sort((a, b) => a.mtimeMs - b.mtimeMs);
}

/** Writes the list whole (temp file, rename), then keeps the directory's lists within bounds. */
async function keep(options: CloneListOptions, dir: string, file: string, parts: Buffer[]): Promise<void> {
  const bytes = parts.reduce((n, p) => n + p.length, 0);
  if (bytes > options.maxBytes) return;
  // Private to the server's user, as the pack cache: the lists name the objects of private repositories.
  await fs.mkdir(options.dir, { recursive: true, mode: 0o700 });
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      const { bytesWritten } = await handle.writev(parts);
      if (bytesWritten !== bytes) throw new Error(`wrote ${bytesWritten} of ${bytes} bytes`);
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  const mine = await listFiles(dir);
  for (const f of mine.slice(0, Math.max(0, mine.length - KEPT_PER_REPOSITORY))) await fs.rm(f.path, { force: true });
  // Across repositories: the oldest lists go until the rest fit.
  const all: Array<{ path: string; mtimeMs: number; size: number }> = [];
  for (const sub of await fs.readdir(options.dir).catch(() => [] as string[])) all.push(...(await listFiles(join(options.dir, sub))));
  all.sort((a, b) => a.mtimeMs - b.mtimeMs);
  let total = all.reduce((n, f) => n + f.size, 0);
  for (const f of all) {
    if (total <= options.maxBytes) break;
    await fs.rm(f.path, { force: true });
    total -= f.size;
  }
}
