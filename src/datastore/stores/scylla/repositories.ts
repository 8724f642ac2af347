/**
 * Repositories and their refs in one partition each: the record in static
 * columns, the refs as rows of the current generation. Every write to the
 * partition is a lightweight transaction (never mixed with plain writes,
 * whose client timestamps could order wrongly against Paxos ones), so an
 * atomic multi-ref compare-and-swap is one conditional batch checked at the
 * serial consistency. Deleting a repository clears its record and
 * generation (CQL has no conditional partition delete); the next repository of
 * that id starts a new generation, so refs of the old one are never read again.
 */
import cassandra from 'cassandra-driver';
import type { KeyRange } from '../../driver.js';
import { recordError } from '../../conflicts.js';
import { ConflictError } from '../../errors.js';
import { planRefUpdates } from '../../refs.js';
import type { Ref, RefUpdate, Repository } from '../../types.js';
import { prefixEnd } from '../kv/keys.js';
import { decodeRepository, encodeRepository } from '../kv/records.js';
import type { RecordShape, RecordTable, Undo, Versioned } from './records.js';
import { UncertainWriteError, type Row, type Session, type Statement } from './session.js';

const TimeUuid = cassandra.types.TimeUuid;
type Gen = cassandra.types.TimeUuid;

interface RepoState extends Versioned<Repository> {
  gen: Gen;
}

const ref = (name: string) => Buffer.from(name, 'utf8');

function rowToRef(row: Row): Ref {
  return { name: (row.ref as Buffer).toString('utf8'), type: row.symbolic ? 'symbolic' : 'direct', target: row.target as string };
}

export class RepositoryTable implements RecordTable<Repository> {
  private readonly ns: string;

  constructor(private readonly session: Session) {
    this.ns = session.settings.namespace;
  }

  async state(id: string): Promise<RepoState | undefined> {
    const rs = await this.session.run('SELECT record, version, current_gen FROM repositories WHERE ns = ? AND id = ? LIMIT 1', [this.ns, id]);
    const row = rs.rows[0];
    if (!row?.record || row.version === null) return undefined;
    return { record: decodeRepository(row.record as Buffer), version: row.version as number, gen: row.current_gen as Gen };
  }

  read(id: string): Promise<Versioned<Repository> | undefined> {
    return this.state(id);
  }

  async create(id: string, record: Repository): Promise<boolean> {
    const { applied } = await this.session.lwt([
      {
        query: 'UPDATE repositories SET record = ?, version = ?, current_gen = ? WHERE ns = ? AND id = ? IF version = null',
        params: [encodeRepository(record), record.version, TimeUuid.now(), this.ns, id],
      },
    ]);
    return applied;
  }

  async update(id: string, record: Repository, expected: number): Promise<boolean> {
    const { applied } = await this.session.lwt([
      { query: 'UPDATE repositories SET record = ?, version = ? WHERE ns = ? AND id = ? IF version = ?', params: [encodeRepository(record), record.version, this.ns, id, expected] },
    ]);
    return applied;
  }

  async remove(id: string, expected: number): Promise<boolean> {
    const state = await this.state(id);
    const { applied } = await this.session.lwt([
      { query: 'UPDATE repositories SET record = null, version = null, current_gen = null WHERE ns = ? AND id = ? IF version = ?', params: [this.ns, id, expected] },
    ]);
    // The old generation's refs are never read again; drop them (rows nobody writes any more).
    if (applied && state) await this.session.run('DELETE FROM repositories WHERE ns = ? AND id = ? AND gen = ?', [this.ns, id, state.gen]).catch(() => undefined);
    return applied;
  }

  // ---- refs ----

  async getRef(repositoryId: string, name: string): Promise<Ref | undefined> {
    const state = await this.state(repositoryId);
    if (!state) return undefined;
    const rs = await this.session.run('SELECT ref, target, symbolic FROM repositories WHERE ns = ? AND id = ? AND gen = ? AND ref = ?', [this.ns, repositoryId, state.gen, ref(name)]);
    return rs.rows[0]?.target ? rowToRef(rs.rows[0]) : undefined;
  }

  async listRefs(repositoryId: string, range: KeyRange): Promise<Ref[]> {
    const state = await this.state(repositoryId);
    if (!state) return [];
    const fromAfter = range.after !== undefined && Buffer.compare(ref(range.after), ref(range.prefix)) >= 0;
    const params: unknown[] = [this.ns, repositoryId, state.gen, ref(fromAfter ? range.after! : range.prefix)];
    let q = `SELECT ref, target, symbolic FROM repositories WHERE ns = ? AND id = ? AND gen = ? AND ref ${fromAfter ? '>' : '>='} ?`;
    const high = range.prefix ? prefixEnd(ref(range.prefix)) : undefined;
    if (high) {
      q += ' AND ref < ?';
      params.push(high);
    }
    const out: Ref[] = [];
    await this.session.eachPage(`${q} LIMIT ?`, [...params, range.limit], Math.min(range.limit, 1000), (rows) => {
      for (const row of rows) if (row.target) out.push(rowToRef(row));
    });
    return out;
  }

  /** One conditional batch on the repository's partition; returns how to undo it (`undoable`: reads the refs first). */
  async updateRefs(repositoryId: string, updates: RefUpdate[], undoable = false): Promise<Undo> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = await this.state(repositoryId);
      if (!state) throw recordError({ kind: 'refs-repo-missing', id: repositoryId });
      const before = new Map<string, Ref | undefined>();
      if (undoable) await Promise.all(updates.map(async (u) => before.set(u.name, await this.getRefAt(repositoryId, state.gen, u.name))));
      const statements = updates.map((u, i) => this.refStatement(repositoryId, state.gen, u, i === 0));
      let result: { applied: boolean; rows: Row[] };
      try {
        result = await this.session.lwt(statements);
      } catch (err) {
        if (!(err instanceof UncertainWriteError) || !(await this.landed(repositoryId, state.gen, updates))) throw err;
        result = { applied: true, rows: [] };
      }
      if (result.applied) return undoable ? () => this.undoRefs(repositoryId, state.gen, updates, before) : async () => undefined;
      const rowGen = result.rows.find((r) => r.current_gen)?.current_gen as Gen | undefined;
      if (!rowGen || !rowGen.equals(state.gen)) continue; // deleted or recreated meanwhile: read again
      const current = new Map<string, Ref | undefined>();
      for (const row of result.rows) if (row.ref && row.target) current.set((row.ref as Buffer).toString('utf8'), rowToRef(row));
      planRefUpdates(repositoryId, updates, current);
      throw new ConflictError(`refs of repository ${repositoryId} changed while they were being updated; re-read them and retry`, { repositoryId });
    }
    throw new ConflictError(`repository ${repositoryId} was deleted or recreated while its refs were being updated; retry`, { repositoryId });
  }

  private async getRefAt(repositoryId: string, gen: Gen, name: string, serial = false): Promise<Ref | undefined> {
    const options = serial ? { consistency: cassandra.types.consistencies[this.session.settings.serialConsistency === 'serial' ? 'serial' : 'localSerial'] } : {};
    const rs = await this.session.run('SELECT ref, target, symbolic FROM repositories WHERE ns = ? AND id = ? AND gen = ? AND ref = ?', [this.ns, repositoryId, gen, ref(name)], options);
    return rs.rows[0]?.target ? rowToRef(rs.rows[0]) : undefined;
  }

  /**
   * After a timed-out batch: a serial read settles any round in progress; the
   * batch landed if every ref now holds its new value.
   */
  private async landed(repositoryId: string, gen: Gen, updates: RefUpdate[]): Promise<boolean> {
    for (const u of updates) {
      const now = await this.getRefAt(repositoryId, gen, u.name, true);
      if ((now?.target ?? null) !== u.new) return false;
    }
    return true;
  }

  private refStatement(repositoryId: string, gen: Gen, u: RefUpdate, checkGen: boolean): Statement {
    const conditions: string[] = [];
    const condParams: unknown[] = [];
    if (u.old !== undefined) {
      conditions.push('target = ?');
      condParams.push(u.old);
    }
    if (checkGen) {
      conditions.push('current_gen = ?');
      condParams.push(gen);
    }
    const where = 'WHERE ns = ? AND id = ? AND gen = ? AND ref = ?';
    const key = [this.ns, repositoryId, gen, ref(u.name)];
    const cond = conditions.length ? ` IF ${conditions.join(' AND ')}` : '';
    return u.new === null
      ? { query: `DELETE FROM repositories ${where}${cond}`, params: [...key, ...condParams] }
      : { query: `UPDATE repositories SET target = ?, symbolic = ? ${where}${cond}`, params: [u.new, u.symbolic === true, ...key, ...condParams] };
  }

  /** Puts the refs back where they were, if nobody moved them since. */
  private async undoRefs(repositoryId: string, gen: Gen, updates: RefUpdate[], before: Map<string, Ref | undefined>): Promise<void> {
    const back = updates.map((u) => {
      const was = before.get(u.name);
      return { name: u.name, old: u.new, new: was ? was.target : null, symbolic: was?.type === 'symbolic' };
    });
    await this.session.lwt(back.map((u, i) => this.refStatement(repositoryId, gen, u, i === 0)));
  }
}

export const REPOSITORY_SHAPE: RecordShape<Repository> = {
  what: 'repository',
  exists: (id) => recordError({ kind: 'repo-exists', id }),
  listing: 'repo',
  idOf: (r) => r.id,
  nameOf: (r) => r.name,
  unique: [{ kind: 'repo-name', valueOf: (r) => r.name, taken: (r) => recordError({ kind: 'repo-name', name: r.name }) }],
};
