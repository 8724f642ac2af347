/**
 * Typed reads of git objects from a store (or a transaction), with a small
 * cache of parsed commits and trees for walks and diffs.
 */
import { IntegrityError, NotFoundError } from '../../datastore/errors.js';
import type { GitObject, ObjectFormat, ObjectReadOptions, ObjectStat, ObjectType } from '../../datastore/types.js';
import { parseCommit, type Commit } from '../objects/commit.js';
import { parseTag, type Tag } from '../objects/tag.js';
import { rawEntries, type RawEntry } from '../objects/raw-tree.js';
import { parseTree, type TreeEntry } from '../objects/tree.js';
import { ByteLru } from '../../datastore/lru-cache.js';
import { peelTags } from './peel.js';
import { ID_BYTES } from '../../datastore/hash.js';

/** A tree's bytes and the positions of its entries. */
export interface RawTree {
  buf: Buffer;
  entries: RawEntry[];
  byteLength: number;
}

/** What reading needs from a DataStore or Transaction. */
export interface ObjectSource {
  readonly objectFormat?: ObjectFormat;
  getObject(id: string): Promise<GitObject | undefined>;
  /** `options.onEntry`, where the source has stored entries, sees each one found. */
  getObjects(ids: string[], options?: ObjectReadOptions): Promise<Map<string, GitObject>>;
}

/** What walks need: a DataStore, or a push's quarantined pack laid over one. */
export interface WalkSource extends ObjectSource {
  readonly objectFormat: ObjectFormat;
  statObject(id: string): Promise<ObjectStat | undefined>;
  hasObjects(ids: string[]): Promise<boolean[]>;
}

const CACHE_ENTRIES = 4096;

export class ObjectReader {
  private readonly commits = new Map<string, Commit>();
  private readonly trees = new Map<string, TreeEntry[]>();
  private readonly rawTrees = new ByteLru<string, RawTree>(32 << 20);

  constructor(
    readonly source: ObjectSource,
    readonly format: ObjectFormat = source.objectFormat ?? 'sha1',
  ) {}

  async object(id: string, expected?: ObjectType): Promise<GitObject> {
    const obj = await this.source.getObject(id);
    if (!obj) throw new NotFoundError(`object ${id} is not in the store`, { id });
    if (expected && obj.type !== expected) throw new IntegrityError(`object ${id} is a ${obj.type}, expected a ${expected}`, { id });
    return obj;
  }

  async commit(id: string): Promise<Commit> {
    const hit = this.commits.get(id);
    if (hit) return hit;
    const commit = parseCommit((await this.object(id, 'commit')).data);
    remember(this.commits, id, commit);
    return commit;
  }

  async tree(id: string): Promise<TreeEntry[]> {
    const hit = this.trees.get(id);
    if (hit) return hit;
    const tree = parseTree((await this.object(id, 'tree')).data, this.format);
    remember(this.trees, id, tree);
    return tree;
  }

  /** A tree as bytes plus entry positions, for diffs that skip unchanged entries cheaply. */
  async rawTree(id: string): Promise<RawTree> {
    const hit = this.rawTrees.get(id);
    if (hit) return hit;
    const data = (await this.object(id, 'tree')).data;
    const buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const entries = rawEntries(buf, ID_BYTES[this.format]);
    const tree = { buf, entries, byteLength: buf.length + entries.length * 48 };
    this.rawTrees.set(id, tree);
    return tree;
  }

  async tag(id: string): Promise<Tag> {
    return parseTag((await this.object(id, 'tag')).data);
  }

  /** Follows tags to the object they finally point at; returns its id and type. */
  async peel(id: string): Promise<{ id: string; type: ObjectType }> {
    const peeled = await peelTags(this.source, id);
    if (!peeled) throw new NotFoundError(`object ${id}, or an object its tag names, is not in the store`, { id });
    return { id: peeled.id, type: peeled.type };
  }

  /** The commit an id names (a commit, or a tag of one). */
  async peelToCommit(id: string): Promise<string> {
    const peeled = await this.peel(id);
    if (peeled.type !== 'commit') throw new IntegrityError(`${id} names a ${peeled.type}, not a commit`);
    return peeled.id;
  }

  /** The tree an id names (a tree, a commit, or a tag of either). */
  async peelToTree(id: string): Promise<string> {
    const peeled = await this.peel(id);
    if (peeled.type === 'tree') return peeled.id;
    if (peeled.type === 'commit') return (await this.commit(peeled.id)).tree;
    throw new IntegrityError(`${id} names a ${peeled.type}, not a tree or commit`);
  }
}

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= CACHE_ENTRIES) map.delete(map.keys().next().value as string);
  map.set(key, value);
}
