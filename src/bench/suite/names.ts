/** Benchmark names and `--only` selection, without loading the benchmarks (the CLI checks arguments first). */
import { GROUPS, type Group } from './result.js';

/** Every benchmark name by group, in run order; each group's file reports exactly these (test/bench checks). */
export const GROUP_BENCHMARKS: Record<Exclude<Group, 'scale'>, readonly string[]> = {
  objects: ['object_write', 'object_read_cold', 'object_read_warm', 'object_scan_prefix', 'batch_write_1000'],
  metadata: ['metadata_query', 'user_events_across_repos', 'event_counts_time_range', 'repository_stats', 'commits_by_author_range'],
  parallel: ['parallel_write', 'parallel_read'],
  history: ['history_generate', 'commit_traversal', 'branch_create', 'branch_list', 'fast_forward_check', 'branch_delete', 'tree_diff_distant'],
  server: ['http_rest_read', 'http_info_refs', 'http_small_clone'],
};

export const SUITE_BENCHMARKS: readonly string[] = Object.values(GROUP_BENCHMARKS).flat();

/** `--only` names: groups or single benchmarks; anything else is an error saying what exists. */
export function selection(only: string[] | undefined): (group: { group: Group }, name: string) => boolean {
  if (!only || only.length === 0) return () => true;
  for (const o of only) {
    if (!(GROUPS as readonly string[]).includes(o) && !SUITE_BENCHMARKS.includes(o)) {
      throw new RangeError(`--only ${o}: no such group or benchmark; groups: ${GROUPS.filter((g) => g !== 'scale').join(', ')}; benchmarks: ${SUITE_BENCHMARKS.join(', ')}`);
    }
  }
  return (group, name) => only.includes(group.group) || only.includes(name);
}
