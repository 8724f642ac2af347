/**
 * Names in byte order for listing repositories and users: one partition per
 * kind, clustered by the name's UTF-8 bytes and the owner's id, paged with the driver's paging
 * state. Rows are hints: a lister reads the records they point at and keeps
 * those whose current name is the row's, so a row left by an interrupted
 * write is skipped, never shown. A writer adds its row before the record
 * names it and removes it after, so no live record lacks its row.
 */
import { compareStrings } from '../../filters.js';
import { prefixEnd } from '../kv/keys.js';
import type { Session } from './session.js';

export type ListingKind = 'repo' | 'user';

export class Listing {
  private readonly ns: string;

  constructor(private readonly session: Session) {
    this.ns = session.settings.namespace;
  }

  put(kind: ListingKind, name: string, owner: string): Promise<unknown> {
    return this.session.run('INSERT INTO listing (ns, kind, key, owner) VALUES (?, ?, ?, ?)', [this.ns, kind, Buffer.from(name, 'utf8'), owner]);
  }

  /** Only this owner's row: another record may hold the name by now. */
  remove(kind: ListingKind, name: string, owner: string): Promise<unknown> {
    return this.session.run('DELETE FROM listing WHERE ns = ? AND kind = ? AND key = ? AND owner = ?', [this.ns, kind, Buffer.from(name, 'utf8'), owner]);
  }

  /**
   * Calls `onPage` with (name, owner) pairs in name order, from strictly after
   * `after`, under `prefix`, until it returns false or the names run out.
   */
  async scan(kind: ListingKind, prefix: string, after: string | undefined, pageSize: number, onPage: (rows: Array<[string, string]>) => Promise<boolean>): Promise<void> {
    const fromAfter = after !== undefined && compareStrings(after, prefix) >= 0;
    const low = Buffer.from(fromAfter ? after : prefix, 'utf8');
    const high = prefix ? prefixEnd(Buffer.from(prefix, 'utf8')) : undefined;
    let q = `SELECT key, owner FROM listing WHERE ns = ? AND kind = ? AND key ${fromAfter ? '>' : '>='} ?`;
    const params: unknown[] = [this.ns, kind, low];
    if (high) {
      q += ' AND key < ?';
      params.push(high);
    }
    let pageState: string | undefined;
    for (;;) {
      const rs = await this.session.run(q, params, { fetchSize: pageSize, pageState });
      const rows = rs.rows.map((r) => [(r.key as Buffer).toString('utf8'), r.owner as string] as [string, string]);
      if (!(await onPage(rows)) || !rs.pageState) return;
      pageState = rs.pageState;
    }
  }
}
