/**
 * Object entries: one row per object in the partition of its id prefix,
 * bytes above INLINE_BYTES in chunk rows written before the row that names
 * them (so a reader never finds a row whose chunks are missing), and the
 * dependents index. Objects are content-addressed and write-once, so their
 * writes are idempotent and plain (no lightweight transactions): a put reads
 * which ids exist and writes only the others.
 */
import cassandra from 'cassandra-driver';
import type { KeyRange } from '../../driver.js';
import { IntegrityError } from '../../errors.js';
import type { ObjectEntry, ObjectStat } from '../../types.js';
import { forEachLimit } from '../redis/shards.js';
import { decodeHeader, encodeCell, type EntryHeader } from './entry-cell.js';
import type { Session } from './session.js';

/** Entries up to this size live in their row; larger ones in 1 MiB chunks. */
export const INLINE_BYTES = 1024 * 1024;
const PARALLEL = 32;
const IN_LIST = 100;

interface Stored {
  header: EntryHeader;
  inline: Buffer;
}

function groups<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export class ScyllaObjects {
  private readonly ns: string;

  constructor(
    private readonly session: Session,
    private readonly shardChars: number,
  ) {
    this.ns = session.settings.namespace;
  }

  shardOf(id: string): string {
    return id.slice(0, this.shardChars);
  }

  /** Every shard name in ascending order. */
  private allShards(): string[] {
    const n = 16 ** this.shardChars;
    return Array.from({ length: n }, (_, i) => i.toString(16).padStart(this.shardChars, '0'));
  }

  /** Reads the stored cells of `ids`, by shard, IN_LIST ids a statement. */
  private async readCells(ids: string[], columns: 'id' | 'id, entry'): Promise<Map<string, Buffer | null>> {
    const byShard = new Map<string, string[]>();
    for (const id of ids) {
      const shard = this.shardOf(id);
      byShard.set(shard, [...(byShard.get(shard) ?? []), id]);
    }
    const found = new Map<string, Buffer | null>();
    const statements = [...byShard].flatMap(([shard, list]) => groups(list, IN_LIST).map((group) => ({ shard, group })));
    await forEachLimit(statements, PARALLEL, async ({ shard, group }) => {
      const rs = await this.session.run(`SELECT ${columns} FROM objects WHERE ns = ? AND shard = ? AND id IN ?`, [this.ns, shard, group]);
      for (const row of rs.rows) found.set(row.id as string, columns === 'id' ? null : (row.entry as Buffer));
    });
    return found;
  }

  private async readStored(ids: string[]): Promise<Map<string, Stored>> {
    const cells = await this.readCells(ids, 'id, entry');
    const out = new Map<string, Stored>();
    for (const [id, cell] of cells) out.set(id, decodeHeader(id, cell!));
    return out;
  }

  private async chunkBytes(id: string, header: EntryHeader): Promise<Buffer> {
    const parts: Buffer[] = [];
    const version = new cassandra.types.Uuid(header.chunkVersion!);
    await this.session.eachPage('SELECT seq, bytes FROM object_chunks WHERE ns = ? AND id = ? AND version = ?', [this.ns, id, version], 4, (rows) => {
      for (const row of rows) parts.push(row.bytes as Buffer);
    });
    if (parts.length !== header.chunks) throw new IntegrityError(`object ${id}: ${parts.length} of its ${header.chunks} stored chunks were found; the store is damaged`, { id });
    return Buffer.concat(parts);
  }

  async getEntries(ids: string[]): Promise<Map<string, ObjectEntry>> {
    const stored = await this.readStored(ids);
    const out = new Map<string, ObjectEntry>();
    await forEachLimit([...stored], PARALLEL, async ([id, { header, inline }]) => {
      const bytes = header.chunks > 0 ? await this.chunkBytes(id, header) : inline;
      out.set(id, { id, type: header.type, size: header.size, encoding: header.encoding, base: header.base, bytes });
    });
    return out;
  }

  async hasObjects(ids: string[]): Promise<boolean[]> {
    const found = await this.readCells([...new Set(ids)], 'id');
    return ids.map((id) => found.has(id));
  }

  async statObject(id: string): Promise<ObjectStat | undefined> {
    const s = (await this.readStored([id])).get(id);
    return s ? { id, type: s.header.type, size: s.header.size } : undefined;
  }

  /** Ids in ascending order: shard after shard, a window of shards read at once. */
  async listObjectIds(range: KeyRange): Promise<string[]> {
    const { prefix, after, limit } = range;
    let shards = this.allShards().filter((s) => s.startsWith(prefix.slice(0, this.shardChars)));
    if (after !== undefined) shards = shards.filter((s) => s >= this.shardOf(after));
    const low = after !== undefined && after >= prefix ? after : undefined;
    const out: string[] = [];
    for (let i = 0; i < shards.length && out.length < limit; i += PARALLEL) {
      const window = shards.slice(i, i + PARALLEL);
      const want = limit - out.length;
      const pages = await Promise.all(
        window.map(async (shard) => {
          // Ids are lowercase hex: every id under the prefix sorts below prefix + 'g'.
          const q = `SELECT id FROM objects WHERE ns = ? AND shard = ? AND id ${low === undefined ? '>=' : '>'} ? AND id < ? LIMIT ?`;
          const rs = await this.session.run(q, [this.ns, shard, low ?? prefix, `${prefix}g`, want]);
          return rs.rows.map((r) => r.id as string);
        }),
      );
      for (const page of pages) out.push(...page);
    }
    return out.slice(0, limit);
  }

  /** The dependents index, each id checked against its entry: the index may name more than it should. */
  async listDependents(baseId: string, range: { after?: string; limit: number }): Promise<string[]> {
    const out: string[] = [];
    let after = range.after ?? '';
    for (;;) {
      const rs = await this.session.run('SELECT id FROM dependents WHERE ns = ? AND base = ? AND id > ? LIMIT ?', [this.ns, baseId, after, range.limit]);
      const ids = rs.rows.map((r) => r.id as string);
      if (ids.length === 0) return out;
      const stored = await this.readStored(ids);
      for (const id of ids) if (stored.get(id)?.header.base === baseId && out.length < range.limit) out.push(id);
      if (out.length >= range.limit || ids.length < range.limit) return out;
      after = ids[ids.length - 1];
    }
  }

  // ---- writes ----

  /** Stores entries whose ids are not stored yet (an existing entry of an id is kept). */
  async putNew(entries: ObjectEntry[]): Promise<void> {
    const unique = [...new Map(entries.map((e) => [e.id, e])).values()];
    const present = await this.readCells(unique.map((e) => e.id), 'id');
    await forEachLimit(unique.filter((e) => !present.has(e.id)), PARALLEL, (e) => this.writeEntry(e));
  }

  /** Overwrites the stored entries of these ids, then drops what their old entries left in the index and chunks. */
  async replace(entries: ObjectEntry[]): Promise<void> {
    const before = await this.readStored(entries.map((e) => e.id));
    await forEachLimit(entries, PARALLEL, (e) => this.writeEntry(e));
    await forEachLimit(entries, PARALLEL, async (e) => {
      const old = before.get(e.id)?.header;
      if (old) await this.dropLeftovers(e.id, old, e.base);
    });
  }

  async delete(ids: string[]): Promise<void> {
    const before = await this.readStored(ids);
    await forEachLimit(ids, PARALLEL, async (id) => {
      await this.session.run('DELETE FROM objects WHERE ns = ? AND shard = ? AND id = ?', [this.ns, this.shardOf(id), id]);
      // Deltas on this object were rewritten whole before it went: its index partition names none that still need it.
      await this.session.run('DELETE FROM dependents WHERE ns = ? AND base = ?', [this.ns, id]);
      const old = before.get(id)?.header;
      if (old) await this.dropLeftovers(id, old, null);
    });
  }

  private async dropLeftovers(id: string, old: EntryHeader, newBase: string | null): Promise<void> {
    if (old.base && old.base !== newBase) await this.session.run('DELETE FROM dependents WHERE ns = ? AND base = ? AND id = ?', [this.ns, old.base, id]);
    if (old.chunks > 0) {
      const version = new cassandra.types.Uuid(old.chunkVersion!);
      await this.session.run('DELETE FROM object_chunks WHERE ns = ? AND id = ? AND version = ?', [this.ns, id, version]);
    }
  }

  private async writeEntry(e: ObjectEntry): Promise<void> {
    // The index first: it may name more than it should, never fewer.
    if (e.base) await this.session.run('INSERT INTO dependents (ns, base, id) VALUES (?, ?, ?)', [this.ns, e.base, e.id]);
    const bytes = Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength);
    let cell: Buffer;
    if (bytes.length <= INLINE_BYTES) {
      cell = encodeCell(e, bytes);
    } else {
      const version = cassandra.types.Uuid.random();
      const count = Math.ceil(bytes.length / INLINE_BYTES);
      await forEachLimit([...Array(count).keys()], 4, async (seq) => {
        const part = bytes.subarray(seq * INLINE_BYTES, (seq + 1) * INLINE_BYTES);
        await this.session.run('INSERT INTO object_chunks (ns, id, version, seq, bytes) VALUES (?, ?, ?, ?, ?)', [this.ns, e.id, version, seq, part]);
      });
      cell = encodeCell(e, Buffer.alloc(0), count, version.getBuffer());
    }
    await this.session.run('INSERT INTO objects (ns, shard, id, entry, stored) VALUES (?, ?, ?, ?, ?)', [
      this.ns,
      this.shardOf(e.id),
      e.id,
      cell,
      cassandra.types.Long.fromNumber(bytes.length),
    ]);
  }

  /** Exact count and stored bytes: one aggregate per shard partition (reads every row's key). */
  async stats(): Promise<{ objectCount: number; storageBytes: number }> {
    let objectCount = 0;
    let storageBytes = 0;
    await forEachLimit(this.allShards(), PARALLEL, async (shard) => {
      const rs = await this.session.run('SELECT COUNT(*) AS n, SUM(stored) AS b FROM objects WHERE ns = ? AND shard = ?', [this.ns, shard]);
      const row = rs.rows[0];
      objectCount += Number(row?.n ?? 0);
      storageBytes += Number(row?.b ?? 0);
    });
    return { objectCount, storageBytes };
  }
}
