/** Making the directory an embedded store's file lives in, shared by every embedded store. */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConnectionError } from './errors.js';

/**
 * Creates `dir` and its missing parents one level at a time. Node's recursive
 * mkdir retries forever on some pseudo file systems (/proc), so it is not used.
 */
function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw new ConnectionError(`${at} is not a directory; check that the path is a directory you can write to, or choose another location`, { path: dir });
      break;
    } catch (err) {
      if (err instanceof ConnectionError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) {
        throw new ConnectionError(`cannot use ${dir}: ${(err as Error).message}; check that the path is a directory you can write to`, { path: dir });
      }
      missing.unshift(at);
      at = dirname(at);
    }
  }
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ConnectionError(`cannot create directory ${d} for the store: ${(err as Error).message}; check that the path is a directory you can write to`, { path: dir });
      }
    }
  }
}

export function ensureParentDirectory(file: string): void {
  ensureDirectory(dirname(file));
}
