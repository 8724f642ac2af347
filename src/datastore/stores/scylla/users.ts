/** User records, one partition each, written only by lightweight transactions. */
import { recordError } from '../../conflicts.js';
import type { User } from '../../types.js';
import { decodeUser, encodeUser } from '../kv/records.js';
import type { RecordShape, RecordTable, Versioned } from './records.js';
import type { Session } from './session.js';

export class UserTable implements RecordTable<User> {
  private readonly ns: string;

  constructor(private readonly session: Session) {
    this.ns = session.settings.namespace;
  }

  async read(id: string): Promise<Versioned<User> | undefined> {
    const rs = await this.session.run('SELECT record, version FROM users WHERE ns = ? AND id = ?', [this.ns, id]);
    const row = rs.rows[0];
    return row?.record ? { record: decodeUser(row.record as Buffer), version: row.version as number } : undefined;
  }

  async create(id: string, record: User): Promise<boolean> {
    const q = 'INSERT INTO users (ns, id, record, version) VALUES (?, ?, ?, ?) IF NOT EXISTS';
    return (await this.session.lwt([{ query: q, params: [this.ns, id, encodeUser(record), record.version] }])).applied;
  }

  async update(id: string, record: User, expected: number): Promise<boolean> {
    const q = 'UPDATE users SET record = ?, version = ? WHERE ns = ? AND id = ? IF version = ?';
    return (await this.session.lwt([{ query: q, params: [encodeUser(record), record.version, this.ns, id, expected] }])).applied;
  }

  async remove(id: string, expected: number): Promise<boolean> {
    return (await this.session.lwt([{ query: 'DELETE FROM users WHERE ns = ? AND id = ? IF version = ?', params: [this.ns, id, expected] }])).applied;
  }
}

export const USER_SHAPE: RecordShape<User> = {
  what: 'user',
  exists: (id) => recordError({ kind: 'user-exists', id }),
  listing: 'user',
  idOf: (u) => u.id,
  nameOf: (u) => u.username,
  unique: [
    { kind: 'username', valueOf: (u) => u.username, taken: (u) => recordError({ kind: 'username', username: u.username }) },
    { kind: 'email', valueOf: (u) => u.email, taken: (u) => recordError({ kind: 'email', email: u.email }) },
  ],
};
