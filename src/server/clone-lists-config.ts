/**
 * YAML `server.clone_lists`: where `govc serve` keeps the object lists of
 * clones (src/git/protocol/clone-lists.ts), git's reachability bitmaps in
 * spirit: a clone with the same wants skips the walk, one after a push
 * walks only the new history. Lists never go stale (they are keyed by the
 * wants); max_size bounds the disk they take.
 *
 *   clone_lists: {enabled: true, max_size: 256MB, dir: <tmp_dir>/clone-lists}
 */
import { join } from 'node:path';
import { OptionReader } from '../datastore/options.js';
import type { CloneListOptions } from '../git/protocol/clone-lists.js';

export interface CloneListsConfig {
  enabled: boolean;
  /** Absent: `clone-lists` in the server's tmp_dir, shared by the servers that share it. */
  dir?: string;
  maxBytes: number;
}

export const DEFAULT_CLONE_LISTS: Readonly<CloneListsConfig> = Object.freeze({ enabled: true, maxBytes: 256 * 1024 ** 2 });

export function parseCloneLists(block: Record<string, unknown>): CloneListsConfig {
  const reader = new OptionReader('server.clone_lists', block);
  const dir = reader.string('dir');
  const config: CloneListsConfig = {
    enabled: reader.bool('enabled', DEFAULT_CLONE_LISTS.enabled),
    ...(dir !== undefined ? { dir } : {}),
    maxBytes: reader.bytes('max_size', DEFAULT_CLONE_LISTS.maxBytes),
  };
  reader.done();
  return config;
}

/** What the protocol engine takes, or undefined when the lists are off. */
export function cloneListOptions(config: CloneListsConfig, tmpRoot: string): CloneListOptions | undefined {
  if (!config.enabled) return undefined;
  return { dir: config.dir ?? join(tmpRoot, 'clone-lists'), maxBytes: config.maxBytes };
}
