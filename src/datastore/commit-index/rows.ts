/**
 * A commit row as a config value, compact: a JSON array without field names
 * or the id (the key holds it):
 *   [tree, parents, [author name, email, time, tz], [committer ...], summary, paths]
 * Rows written before this layout are JSON objects (IndexedCommit) without
 * paths; both are read.
 */
import type { CommitIndexRow, IndexedPerson } from './types.js';

type PersonTuple = [string, string, number, string];
type RowTuple = [string, string[], PersonTuple, PersonTuple, string, string[]];

const person = (p: IndexedPerson): PersonTuple => [p.name, p.email, p.timestamp, p.timezone];
const unperson = ([name, email, timestamp, timezone]: PersonTuple): IndexedPerson => ({ name, email, timestamp, timezone });

export function encodeRow(row: CommitIndexRow): string {
  const tuple: RowTuple = [row.tree, row.parents, person(row.author), person(row.committer), row.summary, row.paths];
  return JSON.stringify(tuple);
}

export function decodeRow(id: string, value: string): CommitIndexRow {
  const parsed = JSON.parse(value) as RowTuple | Omit<CommitIndexRow, 'paths'>;
  if (!Array.isArray(parsed)) return { ...parsed, id, paths: [] };
  const [tree, parents, author, committer, summary, paths] = parsed;
  return { id, tree, parents, author: unperson(author), committer: unperson(committer), summary, paths };
}
