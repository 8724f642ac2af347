/**
 * The directory lock: one process at a time opens an LSM directory (one
 * writer and the only reader; the engine keeps its tables, memtable and
 * caches in that process). LOCK holds the owner's pid, created with O_EXCL.
 * A LOCK left by a killed process is taken over when its pid is no longer
 * running on this host. Within one process, a second open of the same
 * directory is refused too.
 */
import { closeSync, openSync, readFileSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LsmError } from './errors.js';
import { LOCK } from './files.js';
import { processRuns } from '../datastore/process-alive.js';

const heldInProcess = new Set<string>();

export class DirLock {
  private constructor(private readonly path: string, private readonly key: string) {}

  static acquire(dir: string): DirLock {
    const key = realpathSync(dir);
    const path = join(dir, LOCK);
    if (heldInProcess.has(key)) throw new LsmError('LOCKED', `lsm directory ${dir} is already open in this process`, { dir });
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(path, 'wx');
        writeSync(fd, `${process.pid} ${hostname()}\n`);
        closeSync(fd);
        heldInProcess.add(key);
        return new DirLock(path, key);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const [pid, host] = readFileSync(path, 'utf8').trim().split(' ');
        const owner = Number(pid);
        if (host === hostname() && Number.isInteger(owner) && owner !== process.pid && processRuns(owner)) {
          throw new LsmError('LOCKED', `lsm directory ${dir} is locked by process ${owner}; one process at a time may open it`, { dir, pid: owner });
        }
        if (host !== hostname()) {
          throw new LsmError('LOCKED', `lsm directory ${dir} is locked by process ${pid} on host ${host}; remove ${path} only if that process is gone`, { dir });
        }
        // The owner is gone (killed): its lock is stale.
        unlinkSync(path);
      }
    }
    throw new LsmError('LOCKED', `lsm directory ${dir}: could not take the lock`, { dir });
  }

  release(): void {
    heldInProcess.delete(this.key);
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}
