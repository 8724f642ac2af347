/**
 * Where a server receives pushes before accepting them. Every server works
 * in a directory of its own, `<tmp_dir>/<host>-<pid>-<random>`, so servers
 * that share a machine, a tmp_dir or a process never touch each other's files. A killed
 * server leaves its directory behind; the next server to start on the same
 * host removes the directories of processes that no longer run. Directories
 * of other hosts (a shared volume) are left alone: their liveness cannot be
 * checked from here.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../datastore/errors.js';
import { processRuns } from '../datastore/process-alive.js';

export interface ServerTmpDir {
  /** This process's directory: pass it as `tmpDir` to the receive-pack code. */
  readonly path: string;
  /** Directories of dead processes removed at start. */
  readonly removed: string[];
  /** Removes this process's directory (at shutdown). */
  release(): Promise<void>;
}

/** `<os tmpdir>/govc-<uid>`: per user, so two users' servers never share (or fight over) one directory. */
export function defaultTmpRoot(): string {
  return join(tmpdir(), `govc-${process.getuid?.() ?? 'user'}`);
}

/** This host's name as it appears in directory names. */
function hostTag(): string {
  return hostname().replace(/[^A-Za-z0-9._]/g, '_') || 'localhost';
}

/** Directories of servers running in this process. */
const ours = new Set<string>();

/** The pid in a directory name of this host (`<host>-<pid>-<8 hex>`), or undefined for anything else. */
function pidOf(name: string, host: string): number | undefined {
  const m = /^(.+)-(\d+)-[0-9a-f]{8}$/.exec(name);
  return m && m[1] === host ? Number(m[2]) : undefined;
}

/** Creates (or checks) the root, removes dead servers' directories, and creates this server's own. */
export async function prepareTmpDir(root: string): Promise<ServerTmpDir> {
  await checkRoot(root);
  const host = hostTag();
  const removed: string[] = [];
  for (const name of await readdir(root)) {
    const pid = pidOf(name, host);
    if (pid === undefined) continue;
    const path = join(root, name);
    // With our own pid, only this process's registry knows: a directory not in it was a dead process's.
    if (pid === process.pid ? ours.has(path) : processRuns(pid)) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(name);
  }
  const path = join(root, `${host}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(path, { mode: 0o700 });
  ours.add(path);
  const release = async () => {
    ours.delete(path);
    await rm(path, { recursive: true, force: true });
  };
  return { path, removed, release };
}

/** The root must be a real directory of ours: in a shared /tmp, someone else's directory or symlink could be a trap. */
async function checkRoot(root: string): Promise<void> {
  const fail = (why: string): never => {
    throw new ConfigError(`server.tmp_dir ${root} ${why}; set server.tmp_dir to a directory this user owns`, { key: 'server.tmp_dir' });
  };
  try {
    await mkdir(root, { recursive: true, mode: 0o700 });
  } catch (err) {
    fail(`cannot be created: ${(err as Error).message}`);
  }
  const info = await lstat(root);
  if (!info.isDirectory()) fail('is not a directory (a symbolic link is refused too)');
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) fail(`belongs to user ${info.uid}, not to this user (${uid})`);
}
