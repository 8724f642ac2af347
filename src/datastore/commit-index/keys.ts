/**
 * Where the commit index lives in a store's config key space, per repository:
 *   <root>c/<id>                         the commit's row (rows.ts)
 *   <root>t/<newest-first time>/<id>     every commit, by committer date
 *   <root>a/<email>/<time>/<id>          by author email (lower-cased)
 *   <root>n/<name>/<time>/<id>           by author name (lower-cased), when it is not the email
 *   <root>p/<path>/<time>/<id>           by changed path (files and their directories)
 *   <root>u/<email>                      one contributor (JSON)
 * Postings have the value `1`. Indexes written before rows were compact have
 * JSON-object rows, a name posting for every commit and a `stats` key (no
 * longer read: counts come from the c/ and u/ keys); they are read as they are.
 * Times are inverted and zero-padded so ascending keys are newest first.
 * Names and paths are byte-escaped so `/` inside them cannot end a segment.
 */
import { createHash } from 'node:crypto';
import { KEYSPACE } from '../keyspace.js';

const MAX_TIME = 9_999_999_999;

export function indexRoot(repositoryId: string): string {
  return `${KEYSPACE.commitIndex}${repositoryId}/`;
}

/** The repository and commit a row key (`<root>c/<id>`) names; undefined for the index's other keys. */
export function parseRowKey(key: string): { repositoryId: string; id: string } | undefined {
  if (!key.startsWith(KEYSPACE.commitIndex)) return undefined;
  const match = /^([^/]+)\/c\/([^/]+)$/.exec(key.slice(KEYSPACE.commitIndex.length));
  return match ? { repositoryId: match[1], id: match[2] } : undefined;
}

/** Newest first: ascending key order = descending committer time. */
export function timeKey(seconds: number): string {
  const t = Math.min(MAX_TIME, Math.max(0, Math.floor(seconds)));
  return String(MAX_TIME - t).padStart(10, '0');
}

/** Escapes bytes outside [A-Za-z0-9._-] as %XX; long results become a hash (keys are capped at 1024 characters). */
function escapeSegment(value: string | Uint8Array): string {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  let out = '';
  for (const b of bytes) {
    out += (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2e || b === 0x5f || b === 0x2d
      ? String.fromCharCode(b)
      : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out.length > 600 ? '#' + createHash('sha1').update(bytes).digest('hex') : out;
}

export const keys = {
  row: (root: string, id: string) => `${root}c/${id}`,
  byTime: (root: string) => `${root}t/`,
  byAuthorEmail: (root: string, email: string) => `${root}a/${escapeSegment(email.toLowerCase())}/`,
  byAuthorName: (root: string, name: string) => `${root}n/${escapeSegment(name.toLowerCase())}/`,
  byPath: (root: string, path: string | Uint8Array) => `${root}p/${escapeSegment(path)}/`,
  contributor: (root: string, email: string) => `${root}u/${escapeSegment(email.toLowerCase())}`,
  contributors: (root: string) => `${root}u/`,
  rows: (root: string) => `${root}c/`,
  /** A posting under an index prefix. */
  posting: (prefix: string, time: number, id: string) => `${prefix}${timeKey(time)}/${id}`,
};
