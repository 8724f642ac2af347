/** Commit-index rows for tests: made up, consistent, without any git objects behind them. */
import { createHash } from 'node:crypto';
import type { CommitIndexRow } from '../../src/datastore/commit-index/index.js';

export const hex = (s: string) => createHash('sha1').update(s).digest('hex');

/** A linear history of `n` commits, one a minute from t0, authors alternating. */
export function history(n: number, tag = 'h', t0 = 1_700_000_000): CommitIndexRow[] {
  const rows: CommitIndexRow[] = [];
  for (let i = 0; i < n; i++) {
    const who = i % 2 === 0 ? { name: 'Ada Lovelace', email: 'Ada@Example.com' } : { name: 'Bob', email: 'bob@example.com' };
    rows.push({
      id: hex(`${tag}${i}`),
      tree: hex(`tree${tag}${i}`),
      parents: i === 0 ? [] : [rows[i - 1].id],
      author: { ...who, timestamp: t0 + i * 60, timezone: '+0100' },
      committer: { name: 'C', email: 'c@example.com', timestamp: t0 + i * 60, timezone: '-0500' },
      summary: `commit ${i} ünïcode`,
      paths: i % 3 === 0 ? ['src', 'src/a.ts', 'caf\xc3\xa9'] : ['docs', 'docs/b.md'],
    });
  }
  return rows;
}
