/**
 * Commit objects. Any number of parents; headers after `committer` (encoding,
 * mergetag, gpgsig, anything unknown) are kept in order and byte-exact, so
 * serializeCommit(parseCommit(x)) equals x.
 */
import { IntegrityError } from '../../datastore/errors.js';
import { formatHeaderBlock, parseHeaderBlock, type Header } from './headers.js';
import { formatIdentity, parseIdentity, type Identity } from './identity.js';
import { decodeExact, encodeText, type TextEncoding } from './text.js';

export interface Commit {
  tree: string;
  parents: string[];
  author: Identity;
  committer: Identity;
  /** Headers after committer, in order (encoding, mergetag, gpgsig, ...). */
  extraHeaders: Header[];
  /** The message after the blank line, or null when the object has none. */
  message: string | null;
  /** How the bytes were decoded; serializing encodes the same way. */
  textEncoding: TextEncoding;
}

function expect(headers: Header[], index: number, key: string): string {
  const h = headers[index];
  if (!h || h.key !== key || h.value === null) throw new IntegrityError(`commit: expected a ${key} header at line ${index + 1}`);
  return h.value;
}

export function parseCommit(data: Uint8Array): Commit {
  const { text, encoding } = decodeExact(data);
  const { headers, message } = parseHeaderBlock(text, 'commit');
  let i = 0;
  const tree = expect(headers, i++, 'tree');
  const parents: string[] = [];
  while (headers[i]?.key === 'parent') parents.push(expect(headers, i++, 'parent'));
  const author = parseIdentity(expect(headers, i++, 'author'));
  const committer = parseIdentity(expect(headers, i++, 'committer'));
  return { tree, parents, author, committer, extraHeaders: headers.slice(i), message, textEncoding: encoding };
}

export function serializeCommit(commit: Commit): Buffer {
  const headers: Header[] = [
    { key: 'tree', value: commit.tree },
    ...commit.parents.map((p) => ({ key: 'parent', value: p })),
    { key: 'author', value: formatIdentity(commit.author) },
    { key: 'committer', value: formatIdentity(commit.committer) },
    ...commit.extraHeaders,
  ];
  return encodeText(formatHeaderBlock({ headers, message: commit.message }), commit.textEncoding ?? 'utf8');
}

/** The first line of the message. */
export function commitSummary(commit: Commit): string {
  const message = commit.message ?? '';
  const nl = message.indexOf('\n');
  return nl < 0 ? message : message.slice(0, nl);
}
