/**
 * The commit index in tables (schema migration 5): a commit's row once in
 * the plan's `commits` table (commits are content, shared by every repository
 * that reaches them, like objects), and which repository reaches it, with its
 * committer time, in `repository_commits`. Lower-cased author email and name
 * sit in `commits.metadata` (e, n) so matching is JavaScript's lower-casing
 * on every store. Rows go in 1,000 at a time, as JSON arrays unpacked by the
 * server: two statements per 1,000 commits.
 */
import { NotFoundError } from '../../errors.js';
import type { CommitIndexOp, CommitIndexQuery, CommitIndexReader, CommitIndexRow, Contributor, IndexedCommit } from '../../commit-index/types.js';
import type { Executor } from './executor.js';

const CHUNK = 1000;

const COMMIT_COLUMNS = `c.id, c.tree, c.parents, c.author, c.committer, c.message`;

export const COMMIT_INDEX_SQL = {
  repositoryExists: 'SELECT 1 FROM repositories WHERE id = $1 FOR KEY SHARE',
  insertCommits: `INSERT INTO commits (id, tree, parents, author, committer, message, committed_at, metadata, paths)
    SELECT r->>'id', r->>'tree', ARRAY(SELECT jsonb_array_elements_text(r->'parents')), r->'author', r->'committer', r->>'summary',
      CASE WHEN abs((r->'committer'->>'timestamp')::double precision) < 1e11 THEN to_timestamp((r->'committer'->>'timestamp')::double precision) END, jsonb_build_object('e', r->>'e', 'n', r->>'n'),
      ARRAY(SELECT jsonb_array_elements_text(r->'paths'))
    FROM jsonb_array_elements($1::jsonb) AS r
    ON CONFLICT (id) DO NOTHING`,
  insertMembers: `INSERT INTO repository_commits (repository_id, commit_id, committed_at)
    SELECT $1, x.id, x.t FROM unnest($2::text[], $3::bigint[]) AS x(id, t)
    ON CONFLICT DO NOTHING`,
  dropIndex: 'DELETE FROM repository_commits WHERE repository_id = $1',
  deleteMembers: 'DELETE FROM repository_commits WHERE repository_id = $1 AND commit_id = ANY($2::text[])',
  // a commit's row is shared by the repositories that reach it: it goes with the last of them
  deleteUnreached: 'DELETE FROM commits c WHERE c.id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM repository_commits rc WHERE rc.commit_id = c.id)',
  indexed: 'SELECT commit_id FROM repository_commits WHERE repository_id = $1 AND commit_id = ANY($2::text[])',
  count: `SELECT count(*) AS commits, count(DISTINCT c.metadata->>'e') AS contributors
    FROM repository_commits rc JOIN commits c ON c.id = rc.commit_id WHERE rc.repository_id = $1`,
  contributors: `SELECT DISTINCT ON (c.metadata->>'e') c.metadata->>'e' AS key, c.author->>'name' AS name, c.author->>'email' AS email
    FROM repository_commits rc JOIN commits c ON c.id = rc.commit_id
    WHERE rc.repository_id = $1 AND ($2::text IS NULL OR c.metadata->>'e' > $2)
    ORDER BY c.metadata->>'e', rc.commit_id LIMIT $3`,
  rows: `SELECT ${COMMIT_COLUMNS}, c.paths FROM repository_commits rc JOIN commits c ON c.id = rc.commit_id
    WHERE rc.repository_id = $1 AND ($2::text IS NULL OR rc.commit_id > $2) ORDER BY rc.commit_id LIMIT $3`,
  rowsById: `SELECT ${COMMIT_COLUMNS}, c.paths FROM repository_commits rc JOIN commits c ON c.id = rc.commit_id
    WHERE rc.repository_id = $1 AND rc.commit_id = ANY($2::text[]) ORDER BY rc.commit_id`,
} as const;

interface CommitRowOut {
  id: string;
  tree: string;
  parents: string[];
  author: IndexedCommit['author'];
  committer: IndexedCommit['committer'];
  message: string;
  paths?: string[];
}

const toCommit = (r: CommitRowOut): IndexedCommit => ({ id: r.id, tree: r.tree, parents: r.parents, author: r.author, committer: r.committer, summary: r.message });

const toRow = (r: CommitRowOut): CommitIndexRow => ({ ...toCommit(r), paths: r.paths ?? [] });

/** Applies one CommitIndexOp inside the writer's transaction. */
export async function writeCommitIndex(exec: Executor, op: CommitIndexOp): Promise<void> {
  if (op.op === 'dropCommitIndex') {
    await exec.query(COMMIT_INDEX_SQL.dropIndex, [op.repositoryId]);
    return;
  }
  if (op.commits.length === 0) return;
  if (op.op === 'deleteCommits') {
    // contributors are counted from the rows that remain
    for (let i = 0; i < op.commits.length; i += CHUNK) {
      const ids = op.commits.slice(i, i + CHUNK).map((r) => r.id);
      await exec.query(COMMIT_INDEX_SQL.deleteMembers, [op.repositoryId, ids]);
      await exec.query(COMMIT_INDEX_SQL.deleteUnreached, [ids]);
    }
    return;
  }
  const repo = await exec.query(COMMIT_INDEX_SQL.repositoryExists, [op.repositoryId]);
  if (!repo.rowCount) throw new NotFoundError(`repository ${op.repositoryId} does not exist; its commit index cannot be written`, { id: op.repositoryId });
  for (let i = 0; i < op.commits.length; i += CHUNK) {
    const chunk = op.commits.slice(i, i + CHUNK);
    const json = chunk.map((row: CommitIndexRow) => ({ ...row, e: row.author.email.toLowerCase(), n: row.author.name.toLowerCase() }));
    await exec.query(COMMIT_INDEX_SQL.insertCommits, [JSON.stringify(json)]);
    await exec.query(COMMIT_INDEX_SQL.insertMembers, [op.repositoryId, chunk.map((r) => r.id), chunk.map((r) => Math.floor(r.committer.timestamp))]);
  }
}

export class PgCommitIndex implements CommitIndexReader {
  constructor(private readonly exec: Executor) {}

  async indexedCommits(repositoryId: string, ids: string[]): Promise<boolean[]> {
    const { rows } = await this.exec.query<{ commit_id: string }>(COMMIT_INDEX_SQL.indexed, [repositoryId, ids]);
    const found = new Set(rows.map((r) => r.commit_id));
    return ids.map((id) => found.has(id));
  }

  async queryCommits(repositoryId: string, query: CommitIndexQuery): Promise<IndexedCommit[]> {
    const values: unknown[] = [repositoryId];
    const where = ['rc.repository_id = $1'];
    const add = (clause: (n: string) => string, value: unknown) => {
      values.push(value);
      where.push(clause(`$${values.length}`));
    };
    if (query.since !== undefined) add((p) => `rc.committed_at >= ${p}`, query.since);
    if (query.until !== undefined) add((p) => `rc.committed_at < ${p}`, query.until);
    if (query.author !== undefined) add((p) => `(c.metadata->>'e' = ${p} OR c.metadata->>'n' = ${p})`, query.author);
    if (query.path !== undefined) add((p) => `c.paths @> ARRAY[${p}::text]`, query.path);
    values.push(query.limit);
    const sql = `SELECT ${COMMIT_COLUMNS} FROM repository_commits rc JOIN commits c ON c.id = rc.commit_id
      WHERE ${where.join(' AND ')} ORDER BY rc.committed_at DESC, rc.commit_id LIMIT $${values.length}`;
    const { rows } = await this.exec.query<CommitRowOut>(sql, values);
    return rows.map(toCommit);
  }

  async countCommits(repositoryId: string): Promise<{ commits: number; contributors: number }> {
    const { rows } = await this.exec.query<{ commits: string; contributors: string }>(COMMIT_INDEX_SQL.count, [repositoryId]);
    return { commits: Number(rows[0].commits), contributors: Number(rows[0].contributors) };
  }

  async listContributors(repositoryId: string, range: { after?: string; limit: number }): Promise<Contributor[]> {
    const { rows } = await this.exec.query<{ name: string; email: string }>(COMMIT_INDEX_SQL.contributors, [repositoryId, range.after ?? null, range.limit]);
    return rows.map((r) => ({ name: r.name, email: r.email }));
  }

  async getRows(repositoryId: string, ids: string[]): Promise<CommitIndexRow[]> {
    const { rows } = await this.exec.query<CommitRowOut>(COMMIT_INDEX_SQL.rowsById, [repositoryId, ids]);
    return rows.map(toRow);
  }

  async listRows(repositoryId: string, range: { after?: string; limit: number }): Promise<CommitIndexRow[]> {
    const { rows } = await this.exec.query<CommitRowOut>(COMMIT_INDEX_SQL.rows, [repositoryId, range.after ?? null, range.limit]);
    return rows.map(toRow);
  }
}
