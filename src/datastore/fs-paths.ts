/** Making the directory an embedded store's file lives in, shared by every embedded store. */
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from './errors.js';

/**
 * Creates `dir` and its missing parents one level at a time. Node's recursive
 * mkdir retries forever on some pseudo file systems (/proc), so it is not used.
 */
export function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  let at = dir;
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) throw new ConfigError(`${at} is not a directory; choose another location for the store`, { path: dir });
      break;
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(at) === at) {
        throw new ConfigError(`cannot use ${dir}: ${(err as Error).message}`, { path: dir });
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
        throw new ConfigError(`cannot create directory ${d} for the store: ${(err as Error).message}; check the path and its permissions`, { path: dir });
      }
    }
  }
}

export function ensureParentDirectory(file: string): void {
  ensureDirectory(dirname(file));
}
