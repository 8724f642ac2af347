/**
 * A fresh directory under the system temp dir, and how to remove it.
 *
 * support/ holds what test/ and bench/ both use (child-process git, govc
 * processes, database servers, generated repositories, ssh keys, hand-made
 * packs): benches are not tests and must not import from test/, and none of
 * this ships, so it is not in src/. Compiled with everything else (tsconfig).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'govc-test-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}
