/** A temp directory for one test file, removed after the file's tests; `fresh()` names a new path inside it each call. */
import { after } from 'node:test';
import { join } from 'node:path';
import { tempDir } from '../../support/temp-dir.js';

export function scratchDir(prefix: string): { root: string; fresh(name?: string): string } {
  const dir = tempDir(prefix);
  after(() => dir.remove());
  let counter = 0;
  return { root: dir.path, fresh: (name = 'db') => join(dir.path, `${name}-${++counter}`) };
}
