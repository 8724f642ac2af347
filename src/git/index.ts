/**
 * Git on any DataStore: the object model, pack files, import/export of real
 * repositories, history (log, diff, branches) and commit queries.
 */
export * from './objects/index.js';
export * from './pack/index.js';
export { ObjectReader, type ObjectSource } from './store/object-reader.js';
export { resolveRevision, requireRepository } from './store/revision.js';
export { logCommits, type LogEntry, type LogOptions } from './history/log.js';
export { diffTrees, type TreeChange, type ChangeStatus } from './history/diff.js';
export { forEachReachable, type ReachableObject } from './history/reachable.js';
export { isAncestor } from './history/ancestry.js';
export { listBranches, createBranch, deleteBranch, isFastForward, branchRef, type Branch } from './history/branches.js';
export { importRepository, mirrorRefs, defaultRepositoryName, type ImportOptions, type ImportResult } from './transfer/import.js';
export { exportRepository, repositoryRefs, type ExportOptions, type ExportResult } from './transfer/export.js';
export { collectObjects, writePackFor } from './transfer/pack-objects.js';
export { anyStoredBase, storePackStream, type StoredPack } from './transfer/store-pack.js';
export type { Progress, ProgressListener } from './progress.js';
export { updateCommitIndex, pruneCommitIndex, dropCommitIndex, readIndexStats, type UpdateIndexOptions } from './query/commit-index.js';
export { queryCommits, repositoryStats, listContributors, type CommitQuery, type RepositoryStats } from './query/query-store.js';
export type { IndexedCommit } from './query/commit-row.js';
export { quotePath } from './format/quote-path.js';
export { deltifyRepository, type DeltifyOptions, type DeltifyResult } from './maintenance/deltify.js';
export { pruneStore, UNREACHABLE_PREFIX, type PruneOptions, type PruneResult } from './maintenance/prune.js';
