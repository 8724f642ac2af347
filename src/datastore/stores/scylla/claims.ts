/**
 * Unique values (repository names, usernames, emails, event ids) claimed by
 * lightweight inserts, one partition per value. A claim left behind by a
 * writer that stopped half way (its record never written, or renamed since)
 * is taken over by compare-and-swap, never by a blind overwrite, and only
 * once it is older than CLAIM_GRACE_MS.
 */
import type { Session } from './session.js';

/** How long a claim stays its writer's before another may take it over (beyond clock skew and a slow write). */
const CLAIM_GRACE_MS = 60_000;

export type ClaimKind = 'repo-name' | 'username' | 'email' | 'event';

export class Claims {
  private readonly ns: string;

  constructor(private readonly session: Session) {
    this.ns = session.settings.namespace;
  }

  async holder(kind: ClaimKind, value: string): Promise<string | undefined> {
    const rs = await this.session.run('SELECT owner FROM claims WHERE ns = ? AND kind = ? AND value = ?', [this.ns, kind, value]);
    return (rs.rows[0]?.owner as string | undefined) ?? undefined;
  }

  /** A plain claim: applied, or the current holder. */
  async insert(kind: ClaimKind, value: string, owner: string): Promise<{ applied: boolean; holder?: string }> {
    const { applied, rows } = await this.session.lwt([
      { query: 'INSERT INTO claims (ns, kind, value, owner) VALUES (?, ?, ?, ?) IF NOT EXISTS', params: [this.ns, kind, value, owner] },
    ]);
    return { applied, holder: rows[0]?.owner as string | undefined };
  }

  /** True when `owner` holds the value afterwards; `isStale` says whether another holder's claim is dead. */
  async claim(kind: ClaimKind, value: string, owner: string, isStale: (holder: string) => Promise<boolean>): Promise<boolean> {
    const key = [this.ns, kind, value];
    let { applied, rows } = await this.session.lwt([{ query: 'INSERT INTO claims (ns, kind, value, owner) VALUES (?, ?, ?, ?) IF NOT EXISTS', params: [...key, owner] }]);
    for (let attempt = 0; !applied && attempt < 3; attempt++) {
      const holder = rows[0]?.owner as string | undefined;
      if (holder === owner) return true;
      if (holder !== undefined && !((await this.olderThanGrace(kind, value)) && (await isStale(holder)))) return false;
      ({ applied, rows } =
        holder === undefined
          ? await this.session.lwt([{ query: 'INSERT INTO claims (ns, kind, value, owner) VALUES (?, ?, ?, ?) IF NOT EXISTS', params: [...key, owner] }])
          : await this.session.lwt([{ query: 'UPDATE claims SET owner = ? WHERE ns = ? AND kind = ? AND value = ? IF owner = ?', params: [owner, ...key, holder] }]));
    }
    return applied;
  }

  /** A claim younger than this may belong to a write still in progress: never taken over. */
  private async olderThanGrace(kind: ClaimKind, value: string): Promise<boolean> {
    const rs = await this.session.run('SELECT WRITETIME(owner) AS written FROM claims WHERE ns = ? AND kind = ? AND value = ?', [this.ns, kind, value]);
    const written = rs.rows[0]?.written;
    return written === undefined || Date.now() - Number(written) / 1000 > CLAIM_GRACE_MS;
  }

  /** Drops the claim if `owner` still holds it. */
  async release(kind: ClaimKind, value: string, owner: string): Promise<void> {
    await this.session.lwt([{ query: 'DELETE FROM claims WHERE ns = ? AND kind = ? AND value = ? IF owner = ?', params: [this.ns, kind, value, owner] }]);
  }
}
