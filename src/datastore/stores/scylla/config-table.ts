/** Config pairs: one partition per namespace, clustered by the key's UTF-8 bytes, so a prefix is a range. */
import type { KeyRange } from '../../driver.js';
import { compareStrings } from '../../filters.js';
import { prefixEnd } from '../kv/keys.js';
import type { Session, Statement } from './session.js';

const key = (k: string) => Buffer.from(k, 'utf8');

export class ScyllaConfig {
  private readonly ns: string;

  constructor(private readonly session: Session) {
    this.ns = session.settings.namespace;
  }

  async get(k: string): Promise<string | undefined> {
    const rs = await this.session.run('SELECT value FROM config WHERE ns = ? AND key = ?', [this.ns, key(k)]);
    return (rs.rows[0]?.value as string | undefined) ?? undefined;
  }

  async list(range: KeyRange): Promise<Array<[string, string]>> {
    const fromAfter = range.after !== undefined && compareStrings(range.after, range.prefix) >= 0;
    const params: unknown[] = [this.ns, key(fromAfter ? range.after! : range.prefix)];
    let q = `SELECT key, value FROM config WHERE ns = ? AND key ${fromAfter ? '>' : '>='} ?`;
    const high = range.prefix ? prefixEnd(key(range.prefix)) : undefined;
    if (high) {
      q += ' AND key < ?';
      params.push(high);
    }
    const out: Array<[string, string]> = [];
    await this.session.eachPage(`${q} LIMIT ?`, [...params, range.limit], Math.min(range.limit, 1000), (rows) => {
      for (const r of rows) out.push([(r.key as Buffer).toString('utf8'), r.value as string]);
    });
    return out;
  }

  set(k: string, value: string | null): Statement {
    return value === null
      ? { query: 'DELETE FROM config WHERE ns = ? AND key = ?', params: [this.ns, key(k)] }
      : { query: 'INSERT INTO config (ns, key, value) VALUES (?, ?, ?)', params: [this.ns, key(k), value] };
  }

  /** Every key starting with `prefix` (non-empty), as one range deletion. */
  deletePrefix(prefix: string): Statement {
    const high = prefixEnd(key(prefix));
    return high
      ? { query: 'DELETE FROM config WHERE ns = ? AND key >= ? AND key < ?', params: [this.ns, key(prefix), high] }
      : { query: 'DELETE FROM config WHERE ns = ? AND key >= ?', params: [this.ns, key(prefix)] };
  }
}
