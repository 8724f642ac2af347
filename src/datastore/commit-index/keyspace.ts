/**
 * The commit index in the config key space (keys.ts), for every store that
 * does not keep it natively: CommitIndexOps become setConfig ops in the same
 * write as the ref update, and reads are ordered key scans.
 */
import type { DriverReader, WriteOp } from '../driver.js';
import { decodeRow, encodeRow } from './rows.js';
import { indexRoot, keys, timeKey } from './keys.js';
import type { CommitIndexOp, CommitIndexQuery, CommitIndexReader, CommitIndexRow, Contributor, IndexedCommit } from './types.js';

const PAGE = 1000;

/** The config ops that keep `op` in the key space. */
export function keyspaceOps(op: CommitIndexOp): WriteOp[] {
  const root = indexRoot(op.repositoryId);
  if (op.op === 'dropCommitIndex') return [{ op: 'deleteConfigPrefix', prefix: root }];
  const out: WriteOp[] = [];
  const deleting = op.op === 'deleteCommits';
  const set = (key: string, value: string) => out.push({ op: 'setConfig', key, value: deleting ? null : value });
  const contributors = new Map<string, Contributor>();
  for (const row of op.commits) {
    const time = row.committer.timestamp;
    const email = row.author.email.toLowerCase();
    const name = row.author.name.toLowerCase();
    set(keys.row(root, row.id), encodeRow(row));
    set(keys.posting(keys.byTime(root), time, row.id), '1');
    set(keys.posting(keys.byAuthorEmail(root, email), time, row.id), '1');
    // rows an older govc wrote have a name posting even when the name is the email: a delete removes it either way
    if (name !== email || deleting) set(keys.posting(keys.byAuthorName(root, name), time, row.id), '1');
    for (const path of row.paths) set(keys.posting(keys.byPath(root, Buffer.from(path, 'latin1')), time, row.id), '1');
    contributors.set(email, { name: row.author.name, email: row.author.email });
  }
  if (deleting) for (const email of op.contributors) set(keys.contributor(root, email), '');
  else for (const [email, who] of contributors) set(keys.contributor(root, email), JSON.stringify(who));
  return out;
}

async function* scan(reader: DriverReader, prefix: string, after?: string): AsyncGenerator<[string, string]> {
  for (;;) {
    const page = await reader.listConfig({ prefix, after, limit: PAGE });
    yield* page;
    if (page.length < PAGE) return;
    after = page[page.length - 1][0];
  }
}

async function countKeys(reader: DriverReader, prefix: string): Promise<number> {
  let n = 0;
  for await (const _ of scan(reader, prefix)) n++;
  return n;
}

/** Commit ids under one posting prefix within [since, until), newest first, with their sort key. */
async function* postings(reader: DriverReader, prefix: string, since?: number, until?: number): AsyncGenerator<{ time: string; id: string }> {
  // Keys are <prefix><inverted time>/<id>: start after every commit at or after `until`.
  const after = until === undefined ? undefined : `${prefix}${timeKey(until)}/~`;
  const stop = since === undefined ? undefined : timeKey(since);
  for await (const [key] of scan(reader, prefix, after)) {
    const rest = key.slice(prefix.length);
    const slash = rest.indexOf('/');
    if (stop !== undefined && rest.slice(0, slash) > stop) return;
    yield { time: rest.slice(0, slash), id: rest.slice(slash + 1) };
  }
}

export class KeyspaceCommitIndex implements CommitIndexReader {
  constructor(private readonly reader: DriverReader) {}

  async indexedCommits(repositoryId: string, ids: string[]): Promise<boolean[]> {
    const root = indexRoot(repositoryId);
    return Promise.all(ids.map(async (id) => (await this.reader.getConfig(keys.row(root, id))) !== undefined));
  }

  private async row(root: string, id: string): Promise<CommitIndexRow | undefined> {
    const raw = await this.reader.getConfig(keys.row(root, id));
    return raw === undefined ? undefined : decodeRow(id, raw);
  }

  async queryCommits(repositoryId: string, query: CommitIndexQuery): Promise<IndexedCommit[]> {
    const root = indexRoot(repositoryId);
    const { author, limit } = query;
    // Scan the most selective index; check the other conditions on the rows.
    const sources: string[] = [];
    if (query.path !== undefined) sources.push(keys.byPath(root, Buffer.from(query.path, 'latin1')));
    else if (author !== undefined) sources.push(keys.byAuthorEmail(root, author), keys.byAuthorName(root, author));
    else sources.push(keys.byTime(root));
    const found = new Map<string, { time: string; row: IndexedCommit }>();
    for (const prefix of sources) {
      let taken = 0;
      for await (const p of postings(this.reader, prefix, query.since, query.until)) {
        if (taken >= limit) break;
        if (found.has(p.id)) continue;
        const r = await this.row(root, p.id);
        if (!r) continue;
        if (author !== undefined && r.author.email.toLowerCase() !== author && r.author.name.toLowerCase() !== author) continue;
        const { paths: _, ...commit } = r;
        found.set(p.id, { time: p.time, row: commit });
        taken++;
      }
    }
    return [...found.values()]
      .sort((a, b) => (a.time !== b.time ? (a.time < b.time ? -1 : 1) : a.row.id < b.row.id ? -1 : 1))
      .slice(0, limit)
      .map((x) => x.row);
  }

  async countCommits(repositoryId: string): Promise<{ commits: number; contributors: number }> {
    const root = indexRoot(repositoryId);
    return { commits: await countKeys(this.reader, keys.rows(root)), contributors: await countKeys(this.reader, keys.contributors(root)) };
  }

  async listContributors(repositoryId: string, range: { after?: string; limit: number }): Promise<Contributor[]> {
    const prefix = keys.contributors(indexRoot(repositoryId));
    const after = range.after === undefined ? undefined : keys.contributor(indexRoot(repositoryId), range.after);
    const page = await this.reader.listConfig({ prefix, after, limit: range.limit });
    return page.map(([, value]) => JSON.parse(value) as Contributor);
  }

  async getRows(repositoryId: string, ids: string[]): Promise<CommitIndexRow[]> {
    const root = indexRoot(repositoryId);
    const rows = await Promise.all(ids.map((id) => this.row(root, id)));
    return rows.filter((r): r is CommitIndexRow => r !== undefined);
  }

  async listRows(repositoryId: string, range: { after?: string; limit: number }): Promise<CommitIndexRow[]> {
    const root = indexRoot(repositoryId);
    const page = await this.reader.listConfig({ prefix: keys.rows(root), after: range.after === undefined ? undefined : keys.row(root, range.after), limit: range.limit });
    return page.map(([key, value]) => decodeRow(key.slice(keys.rows(root).length), value));
  }
}
