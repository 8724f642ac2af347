/**
 * Object checks on receive, as git's fsck.c does them for `receive.fsckObjects`
 * (`git index-pack --strict`): git's strict mode turns its warnings into
 * errors, so everything reported here is something git refuses; what git only
 * reports as info (badFilemode, badTagName, missingTaggerEntry, the
 * .gitignore/.gitattributes/.mailmap symlink ids) or ignores
 * (extraHeaderEntry) is accepted and not reported.
 *
 * The checks work on the raw bytes, like git's: the parsers next door are
 * lenient on purpose (they must round-trip whatever is stored), so they cannot
 * tell a refused object from an accepted one. Reading past the end gives 0,
 * as git reads a NUL-terminated buffer.
 */
import { idLength } from '../../datastore/hash.js';
import type { ObjectFormat, ObjectType } from '../../datastore/types.js';
import { asBuffer } from './text.js';

export interface FsckProblem {
  /** git's message id (the `fsck.<id>` config name), e.g. `duplicateEntries`. */
  id: string;
  /** The object the problem is in. */
  object: string;
  /** One line, as git prints it after `error: `: `object <id>: <msgId>: <text>`. */
  message: string;
}

/** A link from an object to another, with the type git requires of the target. */
export interface ObjectLink {
  id: string;
  type: ObjectType;
}

const NL = 0x0a;
const SP = 0x20;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function problem(object: string, id: string, text: string): FsckProblem {
  return { id, object, message: `object ${object}: ${id}: ${text}` };
}

/** Problems of one object on its own: structure, names, order, modes, identities. Empty when git would accept it. */
export function fsckObject(id: string, type: ObjectType, data: Uint8Array, format: ObjectFormat = 'sha1'): FsckProblem[] {
  const buf = asBuffer(data);
  const report = ([msgId, text]: [string, string]) => problem(id, msgId, text);
  switch (type) {
    case 'tree':
      return fsckTree(buf, format).map(report);
    case 'commit': {
      const found = fsckCommit(buf, idLength(format));
      return found ? [report(found)] : [];
    }
    case 'tag': {
      const found = fsckTag(buf, idLength(format));
      return found ? [report(found)] : [];
    }
    default:
      return []; // blobs: git only checks .gitmodules/.gitattributes blobs, found through trees (not done here)
  }
}

/**
 * The links an object makes, with the type each target must have: a commit's
 * tree and parents, a tag's object (of its declared type), a tree's entries
 * (tree or blob by mode; gitlinks point into another repository and are
 * skipped). Lenient: a malformed object (which fsckObject refuses) gives the
 * links that could be read.
 */
export function expectedLinks(type: ObjectType, data: Uint8Array, format: ObjectFormat = 'sha1'): ObjectLink[] {
  const buf = asBuffer(data);
  const hexsz = idLength(format);
  const links: ObjectLink[] = [];
  if (type === 'tree') {
    for (const e of treeEntries(buf, hexsz / 2).entries) {
      const kind = e.mode & S_IFMT;
      // git's canon_mode: a directory, a file or a symlink; anything else is a gitlink.
      const target = kind === S_IFDIR ? 'tree' : kind === S_IFREG || kind === S_IFLNK ? 'blob' : null;
      if (target) links.push({ id: buf.toString('hex', e.idStart, e.idStart + hexsz / 2), type: target });
    }
  } else if (type === 'commit') {
    let p = 0;
    const line = (key: string, target: ObjectType): boolean => {
      if (!startsWith(buf, p, key) || !isHex(buf, p + key.length, hexsz) || at(buf, p + key.length + hexsz) !== NL) return false;
      links.push({ id: buf.toString('latin1', p + key.length, p + key.length + hexsz).toLowerCase(), type: target });
      p += key.length + hexsz + 1;
      return true;
    };
    if (line('tree ', 'tree')) while (line('parent ', 'commit'));
  } else if (type === 'tag') {
    const object = 'object '.length;
    const typeAt = object + hexsz + 1;
    const eol = buf.indexOf(NL, typeAt);
    const target = eol < 0 ? '' : buf.toString('latin1', typeAt + 'type '.length, eol);
    if (startsWith(buf, 0, 'object ') && isHex(buf, object, hexsz) && at(buf, typeAt - 1) === NL && startsWith(buf, typeAt, 'type ') && TYPES.has(target)) {
      links.push({ id: buf.toString('latin1', object, object + hexsz).toLowerCase(), type: target as ObjectType });
    }
  }
  return links;
}

/** The problem when a link's target exists with another type than the link requires (git has no message id for it). */
export function checkLinkType(from: string, link: ObjectLink, actual: ObjectType): FsckProblem | null {
  if (actual === link.type) return null;
  return problem(from, 'badLinkType', `links to ${link.id} as a ${link.type}, but it is a ${actual}`);
}

/** git's refusal of a non-commit as a branch tip (HEAD or refs/heads/*), or null when the update is fine. */
export function checkRefTarget(refName: string, id: string, type: ObjectType): string | null {
  if (type === 'commit' || (refName !== 'HEAD' && !refName.startsWith('refs/heads/'))) return null;
  return `trying to write non-commit object ${id} to branch '${refName}'`;
}

// ---- trees -----------------------------------------------------------------

interface Entry {
  /** The mode as git reads it: octal digits into an unsigned short. */
  mode: number;
  zeroPadded: boolean;
  name: Buffer;
  idStart: number;
}

/** Entries up to the first malformed one, as git's tree walker decodes them. */
function treeEntries(buf: Buffer, rawsz: number): { entries: Entry[]; malformed: boolean } {
  const entries: Entry[] = [];
  let pos = 0;
  while (pos < buf.length) {
    // git checks the rest of the buffer ends like an entry: a NUL then a raw id.
    if (buf.length - pos < rawsz + 3 || buf[buf.length - rawsz - 1] !== 0) return { entries, malformed: true };
    let mode = 0;
    let p = pos;
    for (; buf[p] !== SP; p++) {
      const d = buf[p] - 0x30;
      if (!(d >= 0 && d <= 7)) return { entries, malformed: true };
      mode = ((mode << 3) + d) & 0xffff;
    }
    if (p === pos) return { entries, malformed: true };
    const nul = buf.indexOf(0, p + 1);
    if (nul === p + 1) return { entries, malformed: true }; // empty name
    entries.push({ mode, zeroPadded: buf[pos] === 0x30, name: buf.subarray(p + 1, nul), idStart: nul + 1 });
    pos = nul + 1 + rawsz;
  }
  return { entries, malformed: false };
}

function fsckTree(buf: Buffer, format: ObjectFormat): Array<[string, string]> {
  const rawsz = idLength(format) / 2;
  const { entries, malformed } = treeEntries(buf, rawsz);
  const badTree: [string, string] = ['badTree', 'cannot be parsed as a tree'];
  if (entries.length === 0) return malformed ? [badTree] : [];
  const found = new Set<string>();
  const out: Array<[string, string]> = [];
  const candidates: Buffer[] = [];
  for (let i = 0; i < entries.length; i++) {
    const { mode, name, idStart } = entries[i];
    if (isNullId(buf, idStart, rawsz)) found.add('nullSha1');
    if (name.includes(SLASH)) found.add('fullPathname');
    if (name.length === 1 && name[0] === 0x2e) found.add('hasDot');
    if (name.length === 2 && name[0] === 0x2e && name[1] === 0x2e) found.add('hasDotdot');
    if (isHfsDot(name, 'git') || isNtfsDotgit(name, 0)) found.add('hasDotgit');
    if (entries[i].zeroPadded) found.add('zeroPaddedFilemode');
    const symlink = (mode & S_IFMT) === S_IFLNK;
    if (symlink && (isHfsDot(name, 'gitmodules') || isNtfsDotGeneric(name, 0, 'gitmodules', 'gi7eba'))) found.add('gitmodulesSymlink');
    // On Windows a backslash separates directories: "a\.git" is a .git too.
    for (let b = name.indexOf(BACKSLASH); b >= 0; b = name.indexOf(BACKSLASH, b + 1)) {
      if (isNtfsDotgit(name, b + 1)) found.add('hasDotgit');
      if (symlink && isNtfsDotGeneric(name, b + 1, 'gitmodules', 'gi7eba')) found.add('gitmodulesSymlink');
    }
    // git stops at a malformed entry before checking the order of the one before it.
    if (malformed && i === entries.length - 1) break;
    if (i > 0) {
      const order = verifyOrdered(entries[i - 1].mode, entries[i - 1].name, mode, name, candidates);
      if (order === 'unsorted') found.add('treeNotSorted');
      else if (order === 'duplicate') found.add('duplicateEntries');
    }
  }
  // In git's order of reporting.
  if (found.has('gitmodulesSymlink')) out.push(['gitmodulesSymlink', '.gitmodules is a symbolic link']);
  if (malformed) out.push(badTree);
  for (const [msgId, text] of TREE_MESSAGES) if (found.has(msgId)) out.push([msgId, text]);
  return out;
}

const TREE_MESSAGES: Array<[string, string]> = [
  ['nullSha1', 'contains entries pointing to null sha1'],
  ['fullPathname', 'contains full pathnames'],
  ['hasDot', "contains '.'"],
  ['hasDotdot', "contains '..'"],
  ['hasDotgit', "contains '.git'"],
  ['zeroPaddedFilemode', 'contains zero-padded file modes'],
  ['duplicateEntries', 'contains duplicate file entries'],
  ['treeNotSorted', 'not properly sorted'],
];

function isNullId(buf: Buffer, start: number, rawsz: number): boolean {
  for (let i = start; i < start + rawsz; i++) if (buf[i] !== 0) return false;
  return true;
}

const lessThanSlash = (c: number) => c > 0 && c < SLASH;

/**
 * git's verify_ordered: names in byte order, a directory's as if it ended in
 * "/". A file and a directory of the same name need not be adjacent
 * ("foo", "foo.bar", "foo/"), so files that may meet a directory later wait on
 * `candidates`.
 */
function verifyOrdered(mode1: number, name1: Buffer, mode2: number, name2: Buffer, candidates: Buffer[]): 'ok' | 'unsorted' | 'duplicate' {
  const len = Math.min(name1.length, name2.length);
  const cmp = name1.compare(name2, 0, len, 0, len);
  if (cmp !== 0) return cmp < 0 ? 'ok' : 'unsorted';
  let c1 = at(name1, len);
  let c2 = at(name2, len);
  if (!c1 && !c2) return 'duplicate';
  if (!c1 && (mode1 & S_IFMT) === S_IFDIR) c1 = SLASH;
  if (!c2 && (mode2 & S_IFMT) === S_IFDIR) c2 = SLASH;
  if (!c1 && lessThanSlash(c2)) {
    candidates.push(name1);
  } else if (c2 === SLASH && lessThanSlash(c1)) {
    for (let f = candidates.pop(); f; f = candidates.pop()) {
      if (!startsWith(name2, 0, f)) continue;
      const next = at(name2, f.length);
      if (!next) return 'duplicate';
      if (lessThanSlash(next)) {
        candidates.push(f);
        break;
      }
    }
  }
  return c1 < c2 ? 'ok' : 'unsorted';
}

// ---- names that are .git on some file system (git's path.c and utf8.c) ------

const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 0x20 : c);
/** Windows ends a name at ':' (alternate data streams) and drops trailing spaces and periods. */
const ntfsEnd = (c: number) => c === 0 || c === 0x3a;

/** NTFS: ".git" or its short name "git~1", followed only by spaces and periods (git's is_ntfs_dotgit). */
function isNtfsDotgit(name: Buffer, start: number): boolean {
  let i = start;
  const next = () => at(name, i++);
  let c = next();
  if (c === 0x2e) {
    if (lower(next()) !== 0x67 || lower(next()) !== 0x69 || lower(next()) !== 0x74) return false;
  } else if (lower(c) === 0x67) {
    if (lower(next()) !== 0x69 || lower(next()) !== 0x74 || next() !== 0x7e || next() !== 0x31) return false;
  } else {
    return false;
  }
  for (;;) {
    c = next();
    if (ntfsEnd(c) || c === SLASH || c === BACKSLASH) return true;
    if (c !== 0x2e && c !== SP) return false;
  }
}

/** NTFS: "." + `dotName`, its short name (first 6 letters + "~1".."~4"), or the hashed short name `shortPrefix` + "~N" (git's is_ntfs_dot_generic). */
function isNtfsDotGeneric(name: Buffer, start: number, dotName: string, shortPrefix: string): boolean {
  const c = (k: number) => at(name, start + k);
  const matches = (from: number, text: string, n: number) => {
    for (let k = 0; k < n; k++) if (lower(c(from + k)) !== text.charCodeAt(k)) return false;
    return true;
  };
  const onlySpacesAndPeriods = (from: number) => {
    for (let k = from; ; k++) {
      if (ntfsEnd(c(k))) return true;
      if (c(k) !== SP && c(k) !== 0x2e) return false;
    }
  };
  if (c(0) === 0x2e && matches(1, dotName, dotName.length)) return onlySpacesAndPeriods(dotName.length + 1);
  if (matches(0, dotName, 6) && c(6) === 0x7e && c(7) >= 0x31 && c(7) <= 0x34) return onlySpacesAndPeriods(8);
  let sawTilde = false;
  for (let i = 0; i < 8; i++) {
    const ch = c(i);
    if (ch === 0) return false;
    if (sawTilde) {
      if (ch < 0x30 || ch > 0x39) return false;
    } else if (ch === 0x7e) {
      i++;
      if (c(i) < 0x31 || c(i) > 0x39) return false;
      sawTilde = true;
    } else if (i >= 6 || ch & 0x80 || lower(ch) !== shortPrefix.charCodeAt(i)) {
      return false;
    }
  }
  return onlySpacesAndPeriods(8);
}

/** Code points HFS+ ignores in names, so ".g\u200cit" opens ".git" there. */
const HFS_IGNORED = new Set([0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f, 0xfeff]);

/** HFS+: "." + `needle`, case-insensitive, ignorable code points dropped (git's is_hfs_dot_generic). */
function isHfsDot(name: Buffer, needle: string): boolean {
  let pos = 0;
  // The next code point that HFS+ does not ignore; 0 at the end or at invalid UTF-8 (as git's next_hfs_char).
  const next = (): number => {
    for (;;) {
      const [c, len] = utf8At(name, pos);
      if (len === 0) {
        pos = name.length;
        return 0;
      }
      pos += len;
      if (!HFS_IGNORED.has(c)) return c;
    }
  };
  if (next() !== 0x2e) return false;
  for (let k = 0; k < needle.length; k++) {
    const c = next();
    if (c > 127 || lower(c) !== needle.charCodeAt(k)) return false;
  }
  const c = next();
  return c === 0 || c === SLASH;
}

/** One UTF-8 character as git's pick_one_utf8_char reads it: [code point, length], or [0, 0] when invalid or at the end. */
function utf8At(s: Buffer, i: number): [number, number] {
  const s0 = at(s, i);
  const s1 = at(s, i + 1);
  const s2 = at(s, i + 2);
  const s3 = at(s, i + 3);
  const cont = (b: number) => (b & 0xc0) === 0x80;
  if (i >= s.length) return [0, 0];
  if (s0 < 0x80) return [s0, 1];
  if ((s0 & 0xe0) === 0xc0) {
    if (!cont(s1) || (s0 & 0xfe) === 0xc0) return [0, 0];
    return [((s0 & 0x1f) << 6) | (s1 & 0x3f), 2];
  }
  if ((s0 & 0xf0) === 0xe0) {
    const overlong = s0 === 0xe0 && (s1 & 0xe0) === 0x80;
    const surrogate = s0 === 0xed && (s1 & 0xe0) === 0xa0;
    const nonchar = s0 === 0xef && s1 === 0xbf && (s2 & 0xfe) === 0xbe;
    if (!cont(s1) || !cont(s2) || overlong || surrogate || nonchar) return [0, 0];
    return [((s0 & 0x0f) << 12) | ((s1 & 0x3f) << 6) | (s2 & 0x3f), 3];
  }
  if ((s0 & 0xf8) === 0xf0) {
    const nonchar = (s1 & 0x0f) === 0x0f && s2 === 0xbf && (s3 & 0xfe) === 0xbe;
    const overlong = s0 === 0xf0 && (s1 & 0xf0) === 0x80;
    const tooBig = (s0 === 0xf4 && s1 > 0x8f) || s0 > 0xf4;
    if (!cont(s1) || !cont(s2) || !cont(s3) || nonchar || overlong || tooBig) return [0, 0];
    return [((s0 & 0x07) << 18) | ((s1 & 0x3f) << 12) | ((s2 & 0x3f) << 6) | (s3 & 0x3f), 4];
  }
  return [0, 0];
}

// ---- commits and tags --------------------------------------------------------

const TYPES = new Set(['blob', 'tree', 'commit', 'tag']);

/** The header block ends with a blank line, or at least a newline, and holds no NUL (git's verify_headers). */
function verifyHeaders(buf: Buffer): [string, string] | null {
  const blank = buf.indexOf('\n\n');
  const nul = buf.indexOf(0);
  if (nul >= 0 && (blank < 0 || nul < blank)) return ['nulInHeader', `unterminated header: NUL at offset ${nul}`];
  if (blank < 0 && at(buf, buf.length - 1) !== NL) return ['unterminatedHeader', 'unterminated header'];
  return null;
}

function fsckCommit(buf: Buffer, hexsz: number): [string, string] | null {
  const headers = verifyHeaders(buf);
  if (headers) return headers;
  let p = 0;
  if (!startsWith(buf, p, 'tree ')) return ['missingTree', "invalid format - expected 'tree' line"];
  p += 5;
  if (!isHex(buf, p, hexsz) || at(buf, p + hexsz) !== NL) return ['badTreeSha1', "invalid 'tree' line format - bad sha1"];
  p += hexsz + 1;
  while (startsWith(buf, p, 'parent ')) {
    p += 7;
    if (!isHex(buf, p, hexsz) || at(buf, p + hexsz) !== NL) return ['badParentSha1', "invalid 'parent' line format - bad sha1"];
    p += hexsz + 1;
  }
  let authors = 0;
  while (startsWith(buf, p, 'author ')) {
    authors++;
    const bad = checkIdent(buf, p + 7);
    if (bad) return bad;
    p = lineEnd(buf, p);
  }
  if (authors < 1) return ['missingAuthor', "invalid format - expected 'author' line"];
  if (authors > 1) return ['multipleAuthors', "invalid format - multiple 'author' lines"];
  if (!startsWith(buf, p, 'committer ')) return ['missingCommitter', "invalid format - expected 'committer' line"];
  const bad = checkIdent(buf, p + 10);
  if (bad) return bad;
  if (buf.includes(0)) return ['nulInCommit', 'NUL byte in the commit object body'];
  return null;
}

function fsckTag(buf: Buffer, hexsz: number): [string, string] | null {
  const headers = verifyHeaders(buf);
  if (headers) return headers;
  let p = 0;
  if (!startsWith(buf, p, 'object ')) return ['missingObject', "invalid format - expected 'object' line"];
  p += 7;
  if (!isHex(buf, p, hexsz) || at(buf, p + hexsz) !== NL) return ['badObjectSha1', "invalid 'object' line format - bad sha1"];
  p += hexsz + 1;
  if (!startsWith(buf, p, 'type ')) return ['missingTypeEntry', "invalid format - expected 'type' line"];
  p += 5;
  let eol = buf.indexOf(NL, p);
  if (eol < 0) return ['missingType', "invalid format - unexpected end after 'type' line"];
  if (!TYPES.has(buf.toString('latin1', p, eol))) return ['badType', "invalid 'type' value"];
  p = eol + 1;
  if (!startsWith(buf, p, 'tag ')) return ['missingTagEntry', "invalid format - expected 'tag' line"];
  eol = buf.indexOf(NL, p);
  if (eol < 0) return ['missingTag', "invalid format - unexpected end after 'type' line"];
  // A bad tag name (badTagName), no tagger (missingTaggerEntry) and extra headers are only info for git.
  p = eol + 1;
  return startsWith(buf, p, 'tagger ') ? checkIdent(buf, p + 7) : null;
}

/** `Name <email> 1700000000 +0200`, checked as git's fsck_ident does, from `p` (after the key). */
function checkIdent(buf: Buffer, p: number): [string, string] | null {
  const bad = (id: string, what: string): [string, string] => [id, `invalid author/committer line - ${what}`];
  const skipText = () => {
    for (let c = at(buf, p); c !== 0x3c && c !== 0x3e && c !== NL && c !== 0; c = at(buf, ++p));
  };
  if (at(buf, p) === 0x3c) return bad('missingNameBeforeEmail', 'missing space before email');
  skipText();
  if (at(buf, p) === 0x3e) return bad('badName', 'bad name');
  if (at(buf, p) !== 0x3c) return bad('missingEmail', 'missing email');
  if (at(buf, p - 1) !== SP) return bad('missingSpaceBeforeEmail', 'missing space before email');
  p++;
  skipText();
  if (at(buf, p) !== 0x3e) return bad('badEmail', 'bad email');
  p++;
  if (at(buf, p) !== SP) return bad('missingSpaceBeforeDate', 'missing space before date');
  p++;
  if (at(buf, p) === 0x30 && at(buf, p + 1) !== SP) return bad('zeroPaddedDate', 'zero-padded date');
  const [date, end] = strtoumax(buf, p);
  // git keeps dates in a 64-bit time_t.
  if (date > 0x7fffffffffffffffn) return bad('badDateOverflow', 'date causes integer overflow');
  if (end === p || at(buf, end) !== SP) return bad('badDate', 'bad date');
  p = end + 1;
  const sign = at(buf, p);
  if ((sign !== 0x2b && sign !== 0x2d) || ![1, 2, 3, 4].every((k) => isDigit(at(buf, p + k))) || at(buf, p + 5) !== NL) return bad('badTimezone', 'bad time zone');
  return null;
}

/**
 * C's strtoumax, which git parses dates with: leading white space (newlines
 * too), a sign, digits; a negative number wraps around, too many digits give
 * the maximum. Returns the value and where the digits end (`start` if none).
 */
function strtoumax(buf: Buffer, start: number): [bigint, number] {
  const MAX = (1n << 64n) - 1n;
  let p = start;
  while ([0x20, 0x09, 0x0a, 0x0b, 0x0c, 0x0d].includes(at(buf, p))) p++;
  const negative = at(buf, p) === 0x2d;
  if (negative || at(buf, p) === 0x2b) p++;
  const digits = p;
  let value = 0n;
  for (; isDigit(at(buf, p)); p++) if (value <= MAX) value = value * 10n + BigInt(at(buf, p) - 0x30);
  if (p === digits) return [0n, start];
  if (value > MAX) return [MAX, p];
  return [negative ? (MAX + 1n - value) & MAX : value, p];
}

// ---- bytes -------------------------------------------------------------------

/** The byte at `i`, 0 past the end (git reads a NUL-terminated buffer). */
function at(buf: Buffer, i: number): number {
  return i < buf.length ? buf[i] : 0;
}

function startsWith(buf: Buffer, pos: number, prefix: string | Buffer): boolean {
  if (typeof prefix === 'string') return buf.toString('latin1', pos, pos + prefix.length) === prefix;
  return buf.length - pos >= prefix.length && buf.compare(prefix, 0, prefix.length, pos, pos + prefix.length) === 0;
}

function lineEnd(buf: Buffer, pos: number): number {
  const nl = buf.indexOf(NL, pos);
  return nl < 0 ? buf.length : nl + 1;
}

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;

/** `n` hex digits at `pos` (git's get_oid_hex takes either case). */
function isHex(buf: Buffer, pos: number, n: number): boolean {
  for (let i = pos; i < pos + n; i++) {
    const c = at(buf, i);
    if (!isDigit(c) && !((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66)) return false;
  }
  return true;
}
