/**
 * fsckObject against git itself: every bad object is built by hand, sent to
 * `git index-pack --strict` (what receive-pack runs with receive.fsckObjects)
 * in a one-object pack, and git must refuse it with the same message lines we
 * give; objects git accepts (perhaps with a warning) must give no problem.
 * Where git's own parser refuses a commit or tag before fsck runs ("invalid
 * commit"), `git mktag` names the tag problem; for commits the refusal is the
 * oracle.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { hashObject } from '../../src/datastore/hash.js';
import type { ObjectFormat, ObjectType } from '../../src/datastore/types.js';
import { checkLinkType, checkRefTarget, expectedLinks, fsckObject } from '../../src/git/objects/fsck.js';
import { encodeEntryHeader } from '../../src/git/pack/entry-header.js';
import { allObjects } from './cat-file.js';
import { tempDir } from '../../support/temp-dir.js';
import { makeFixtureRepo, removeDir } from './fixture.js';
import { gitSync, GIT_ENV, gitStatus } from '../../support/git.js';

const IDENT = 'A U Thor <a@example.com> 1700000000 +0000';

/** A pack of whole (undeltified) objects, as git index-pack reads it. */
function pack(objects: Array<{ type: ObjectType; data: Buffer }>, format: ObjectFormat): Buffer {
  const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  const parts: Buffer[] = [Buffer.from('PACK'), u32(2), u32(objects.length)];
  for (const o of objects) parts.push(encodeEntryHeader(o.type, o.data.length), deflateSync(o.data));
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash(format).update(body).digest()]);
}

interface Verdict {
  accepted: boolean;
  /** `object <id>: <msgId>: <text>` lines git printed as errors and as warnings. */
  errors: string[];
  warnings: string[];
  stderr: string;
}

function run(cwd: string, args: string[], input: Buffer): { status: number; stderr: string } {
  const r = spawnSync('git', args, { cwd, input, env: GIT_ENV, encoding: 'latin1' });
  return { status: r.status ?? -1, stderr: r.stderr };
}

/** A bare repository that already holds a blob, a tree and a commit the test objects link to. */
class Receiver {
  readonly dir: string;
  readonly blob: string;
  readonly tree: string;
  readonly commit: string;

  constructor(
    root: string,
    readonly format: ObjectFormat,
  ) {
    this.dir = join(root, `receiver-${format}`);
    gitSync(root, ['init', '-q', '--bare', `--object-format=${format}`, this.dir]);
    const blob = Buffer.from('hi\n');
    this.blob = hashObject('blob', blob, format);
    const tree = treeBytes([['100644', 'f', this.blob]]);
    this.tree = hashObject('tree', tree, format);
    const commit = Buffer.from(`tree ${this.tree}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nfirst\n`);
    this.commit = hashObject('commit', commit, format);
    const setup = this.indexPack([
      { type: 'blob', data: blob },
      { type: 'tree', data: tree },
      { type: 'commit', data: commit },
    ]);
    assert.ok(setup.accepted, setup.stderr);
  }

  indexPack(objects: Array<{ type: ObjectType; data: Buffer }>): Verdict {
    const r = run(this.dir, ['index-pack', '--strict', '--stdin'], pack(objects, this.format));
    const lines = (kind: string) => r.stderr.split('\n').filter((l) => l.startsWith(`${kind}: object `)).map((l) => l.slice(kind.length + 2));
    return { accepted: r.status === 0, errors: lines('error'), warnings: lines('warning'), stderr: r.stderr };
  }

  /** `<msgId>: <text>` of git mktag's strict check (git's parser refuses bad tags before index-pack's fsck names them). */
  mktag(data: Buffer): string | undefined {
    const r = run(this.dir, ['mktag'], data);
    return /^error: tag input does not pass fsck: (.*)$/m.exec(r.stderr)?.[1];
  }
}

type EntrySpec = [mode: string, name: string | Buffer, id: string];

function treeBytes(entries: EntrySpec[]): Buffer {
  return Buffer.concat(entries.map(([mode, name, id]) => Buffer.concat([Buffer.from(`${mode} `), Buffer.from(name), Buffer.from([0]), Buffer.from(id, 'hex')])));
}

/** Our problems for an object, as `object <id>: <msgId>: <text>` lines. */
function ours(type: ObjectType, data: Buffer, format: ObjectFormat = 'sha1'): string[] {
  return fsckObject(hashObject(type, data, format), type, data, format).map((p) => p.message);
}

describe('fsck of received objects, against git index-pack --strict', () => {
  let root: string;
  let r: Receiver;
  before(() => {
    root = tempDir('govc-fsck-').path;
    r = new Receiver(root, 'sha1');
  });
  after(() => removeDir(root));

  /** git refuses the object with exactly our message lines, and they carry `msgIds`. */
  function refused(type: ObjectType, data: Buffer, msgIds: string[]): void {
    const id = hashObject(type, data);
    const mine = ours(type, data);
    assert.deepEqual(
      mine.map((m) => m.split(': ')[1]),
      msgIds,
      `ours for ${JSON.stringify(data.toString('latin1'))}`,
    );
    const verdict = r.indexPack([{ type, data }]);
    assert.ok(!verdict.accepted, `git accepted ${JSON.stringify(data.toString('latin1'))}`);
    if (verdict.errors.length > 0) {
      assert.deepEqual([...mine].sort(), [...verdict.errors].sort(), verdict.stderr);
    } else if (type === 'tag') {
      // git's tag parser refused it first; mktag runs the same fsck check alone.
      assert.equal(r.mktag(data), mine[0].slice(`object ${id}: `.length), verdict.stderr);
    } else {
      assert.match(verdict.stderr, new RegExp(`fatal: invalid ${type}`), verdict.stderr);
    }
  }

  /** git accepts the object, perhaps warning with `warned` ids (info-level for git), and we find nothing. */
  function accepted(type: ObjectType, data: Buffer, warned: string[] = []): void {
    assert.deepEqual(ours(type, data), [], `ours for ${JSON.stringify(data.toString('latin1'))}`);
    const verdict = r.indexPack([{ type, data }]);
    assert.ok(verdict.accepted, verdict.stderr);
    assert.deepEqual(
      verdict.warnings.map((w) => w.split(': ')[1]),
      warned,
      verdict.stderr,
    );
  }

  const file = (name: string | Buffer, mode = '100644'): EntrySpec => [mode, name, r.blob];
  const dir = (name: string | Buffer, mode = '40000'): EntrySpec => [mode, name, r.tree];
  const tree = (...entries: EntrySpec[]) => treeBytes(entries);

  test('trees that cannot be parsed are badTree', () => {
    const good = tree(file('a'));
    refused('tree', good.subarray(0, good.length - 1), ['badTree']); // truncated id
    refused('tree', Buffer.concat([good, Buffer.from('100644 b')]), ['badTree']); // no NUL, no id
    refused('tree', tree(file('a', '1x0644')), ['badTree']);
    refused('tree', tree(file('a', '')), ['badTree']); // no mode
    refused('tree', tree(file('')), ['badTree']); // empty name
    // The entries before a bad one are still checked...
    refused('tree', tree(file('.git'), file('b', '1x0644')), ['badTree', 'hasDotgit']);
    // (but not the order of the last good one: git stops first)
    refused('tree', tree(file('b'), file('a'), file('c', '1x0644')), ['badTree']);
    // ...unless the tree does not even end like an entry.
    refused('tree', Buffer.concat([tree(file('.git')), good.subarray(0, 10)]), ['badTree']);
  });

  test('names: ".", "..", "/", null ids', () => {
    refused('tree', tree(file('.')), ['hasDot']);
    refused('tree', tree(file('..')), ['hasDotdot']);
    refused('tree', tree(file('a/b')), ['fullPathname']);
    refused('tree', tree(['100644', 'z', '00'.repeat(20)]), ['nullSha1']);
    refused('tree', tree(file('.'), file('..')), ['hasDot', 'hasDotdot']);
    accepted('tree', tree(file('...'), file('.a'), file('a..b')));
  });

  test('.git in all the spellings a file system opens as .git', () => {
    const dotgit = [
      '.git', '.GIT', '.Git', 'git~1', 'GIT~1', '.git.', '.git ', '.git . .', '.git:stream', 'git~1:',
      '.git\\', '.git\\x', 'a\\.git', 'a\\git~1', 'a\\b\\.GIT',
      '.g\u200cit', '\ufeff.GIT\u200f', '.\u206agit\u200d', // HFS+ ignores these code points
    ];
    for (const name of dotgit) refused('tree', tree(file(name)), ['hasDotgit']);
    refused('tree', tree(dir('.git')), ['hasDotgit']);
    // Invalid UTF-8 right after ".git" counts as the end of the name for HFS+, as in git.
    refused('tree', tree(file(Buffer.from('.git\xff', 'latin1'))), ['hasDotgit']);
    refused('tree', tree(file(Buffer.from('.git\xef\xbf\xbe', 'latin1'))), ['hasDotgit']);
    const fine = ['git~2', '.git~1', '.gitx', 'x.git', '.gi t', '.gité', 'a\\.gi', '.gitmodules', '.g\u0131t', 'git'];
    accepted('tree', tree(...fine.map((n) => Buffer.from(n)).sort(Buffer.compare).map((n) => file(n))));
    accepted('tree', tree(file(Buffer.from('.gi\xfft', 'latin1'))));
  });

  test('.gitmodules must not be a symlink, in its NTFS and HFS+ spellings too', () => {
    for (const name of ['.gitmodules', '.GITMODULES', 'gitmod~1', 'gi7eba~1', 'GI7EBA~9', '.gitmodules .', '.gitmodules:x', 'x\\.gitmodules', '\u200c.gitmodules']) {
      refused('tree', tree(file(name, '120000')), ['gitmodulesSymlink']);
    }
    accepted('tree', tree(file('gi7eba~10', '120000'), file('gi7eb~1', '120000')));
    // A symlinked .gitignore is only info for git.
    accepted('tree', tree(file('.gitignore', '120000')), ['gitignoreSymlink']);
  });

  test('modes: zero padding is refused, odd modes only warned about', () => {
    refused('tree', tree(dir('d', '040000')), ['zeroPaddedFilemode']);
    refused('tree', tree(file('f', '0100644')), ['zeroPaddedFilemode']);
    accepted('tree', tree(file('a', '100664'), file('b', '100600'), file('c', '123456')), ['badFilemode']);
    // 170000 is no file, directory or symlink: git takes it for a gitlink and follows nothing.
    accepted('tree', tree(['170000', 'g', 'ab'.repeat(20)]), ['badFilemode']);
    accepted('tree', tree(dir('d'), file('e', '100755'), file('l', '120000'), ['160000', 'm', 'cd'.repeat(20)]));
  });

  test('order and duplicates, a directory sorting as if it ended in "/"', () => {
    refused('tree', tree(file('b'), file('a')), ['treeNotSorted']);
    refused('tree', tree(dir('a'), file('a.c')), ['treeNotSorted']); // "a/" sorts after "a.c"
    refused('tree', tree(file('a'), file('a')), ['duplicateEntries']);
    refused('tree', tree(file('a'), dir('a')), ['duplicateEntries']);
    refused('tree', tree(file('a'), file('a.c'), file('a.c.d'), dir('a')), ['duplicateEntries']); // not adjacent
    refused('tree', tree(file('foo'), file('foo.bar'), dir('foo.bar'), dir('foo')), ['duplicateEntries']);
    accepted('tree', tree(file('a-'), file('a.c'), dir('a'), file('a0'), file('b')));
    accepted('tree', Buffer.alloc(0));
  });

  test('commit structure', () => {
    const t = `tree ${r.tree}\n`;
    const who = `author ${IDENT}\ncommitter ${IDENT}\n`;
    refused('commit', Buffer.from(`${who}\nmsg\n`), ['missingTree']);
    refused('commit', Buffer.from(`tree 1234\n${who}\nmsg\n`), ['badTreeSha1']);
    refused('commit', Buffer.from(`${t}parent ${r.commit.slice(1)}\n${who}\nmsg\n`), ['badParentSha1']);
    refused('commit', Buffer.from(`${t}committer ${IDENT}\n\nmsg\n`), ['missingAuthor']);
    refused('commit', Buffer.from(`${t}author ${IDENT}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nmsg\n`), ['multipleAuthors']);
    refused('commit', Buffer.from(`${t}author ${IDENT}\n\nmsg\n`), ['missingCommitter']);
    refused('commit', Buffer.from(`${t}author ${IDENT}\nparent ${r.commit}\ncommitter ${IDENT}\n\nmsg\n`), ['missingCommitter']);
    refused('commit', Buffer.from(`${t}${who}x\0y\n\nmsg\n`), ['nulInHeader']);
    refused('commit', Buffer.from(`${t}${who}\nm\0sg\n`), ['nulInCommit']);
    refused('commit', Buffer.from(`${t}author ${IDENT}\ncommitter ${IDENT}`), ['unterminatedHeader']);
    accepted('commit', Buffer.from(`${t}parent ${r.commit}\n${who}`)); // no message at all
    accepted('commit', Buffer.from(`tree ${r.tree.toUpperCase()}\n${who}encoding ISO-8859-1\ngpgsig -----BEGIN PGP SIGNATURE-----\n sig\n -----END PGP SIGNATURE-----\n\nmsg\n`));
  });

  test('author and committer lines, as git reads them', () => {
    const cases: Array<[string, string | null]> = [
      ['<a@b> 1 +0000', 'missingNameBeforeEmail'],
      ['A a@b> 1 +0000', 'badName'],
      ['A>B <a@b> 1 +0000', 'badName'],
      ['A a@b 1 +0000', 'missingEmail'],
      ['A<a@b> 1 +0000', 'missingSpaceBeforeEmail'],
      ['A <a@b 1 +0000', 'badEmail'],
      ['A <a<b> 1 +0000', 'badEmail'],
      ['A <a@b>1 +0000', 'missingSpaceBeforeDate'],
      ['A <a@b>', 'missingSpaceBeforeDate'],
      ['A <a@b> 01 +0000', 'zeroPaddedDate'],
      ['A <a@b> 9223372036854775808 +0000', 'badDateOverflow'],
      ['A <a@b> 99999999999999999999999 +0000', 'badDateOverflow'],
      ['A <a@b> -1 +0000', 'badDateOverflow'], // strtoumax wraps -1 around
      ['A <a@b> 1x +0000', 'badDate'],
      ['A <a@b> x +0000', 'badDate'],
      ['A <a@b> 1', 'badDate'],
      ['A <a@b> 1 +000', 'badTimezone'],
      ['A <a@b> 1 0000', 'badTimezone'],
      ['A <a@b> 1 +00000', 'badTimezone'],
      ['A <a@b> 1  +0000', 'badTimezone'],
      ['A <a@b> 1 +0000 ', 'badTimezone'],
      ['A <a@b> 0 +0000', null],
      ['A <a@b>  1 +0000', null],
      ['A <a@b> \t1 +0000', null],
      ['A <a@b> +1 +0000', null],
      ['A <a@b> -0 +0000', null],
      ['A <a@b> 9223372036854775807 +0000', null],
      ['A <> 1 +0000', null],
      [' <a@b> 1 +0000', null],
      ['A <a@b> 1 -9999', null],
      ['Jérôme <j@b> 1 +0100', null],
    ];
    for (const [ident, msgId] of cases) {
      for (const key of ['author', 'committer']) {
        const lines = key === 'author' ? `author ${ident}\ncommitter ${IDENT}\n` : `author ${IDENT}\ncommitter ${ident}\n`;
        const data = Buffer.from(`tree ${r.tree}\n${lines}\nmsg\n`);
        if (msgId) refused('commit', data, [msgId]);
        else accepted('commit', data);
      }
    }
    // Tags check their tagger the same way.
    refused('tag', Buffer.from(`object ${r.tree}\ntype tree\ntag v1\ntagger A <a@b 1 +0000\n\nmsg\n`), ['badEmail']);
  });

  test('tag structure', () => {
    const head = `object ${r.tree}\ntype tree\n`;
    refused('tag', Buffer.from(`type tree\ntag v1\ntagger ${IDENT}\n\nmsg\n`), ['missingObject']);
    refused('tag', Buffer.from(`object 123\ntype tree\ntag v1\ntagger ${IDENT}\n\nmsg\n`), ['badObjectSha1']);
    refused('tag', Buffer.from(`object ${r.tree}\ntag v1\ntagger ${IDENT}\n\nmsg\n`), ['missingTypeEntry']);
    refused('tag', Buffer.from(`object ${r.tree}\ntype bloop\ntag v1\ntagger ${IDENT}\n\nmsg\n`), ['badType']);
    refused('tag', Buffer.from(`${head}tagger ${IDENT}\n\nmsg\n`), ['missingTagEntry']);
    refused('tag', Buffer.from(`${head}tag v1`), ['unterminatedHeader']);
    refused('tag', Buffer.from(`${head}tag v\x001\ntagger ${IDENT}\n\nmsg\n`), ['nulInHeader']);
    accepted('tag', Buffer.from(`${head}tag v1\ntagger ${IDENT}\n\nmsg\n`));
    // Info for git, so accepted: no tagger, a bad tag name; extra headers and a NUL in the message are fine.
    accepted('tag', Buffer.from(`${head}tag v1\n\nmsg\n`), ['missingTaggerEntry']);
    accepted('tag', Buffer.from(`${head}tag v..1\ntagger ${IDENT}\n\nmsg\n`), ['badTagName']);
    accepted('tag', Buffer.from(`${head}tag v1\ntagger ${IDENT}\nfoo bar\n\nm\0sg\n`));
  });

  test('links: types git requires of the targets, refused when the store has another type', () => {
    const c = Buffer.from(`tree ${r.blob}\nparent ${r.commit.toUpperCase()}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nmsg\n`);
    const cid = hashObject('commit', c);
    assert.deepEqual(expectedLinks('commit', c), [
      { id: r.blob, type: 'tree' },
      { id: r.commit, type: 'commit' },
    ]);
    assert.deepEqual(ours('commit', c), []); // on its own the commit is fine
    const problem = checkLinkType(cid, expectedLinks('commit', c)[0], 'blob');
    assert.equal(problem?.message, `object ${cid}: badLinkType: links to ${r.blob} as a tree, but it is a blob`);
    assert.equal(checkLinkType(cid, expectedLinks('commit', c)[1], 'commit'), null);
    const verdict = r.indexPack([{ type: 'commit', data: c }]);
    assert.ok(!verdict.accepted);
    assert.match(verdict.stderr, new RegExp(`object ${r.blob}: expected type tree, found blob`));

    const tag = Buffer.from(`object ${r.tree}\ntype commit\ntag v1\ntagger ${IDENT}\n\nmsg\n`);
    assert.deepEqual(expectedLinks('tag', tag), [{ id: r.tree, type: 'commit' }]);
    assert.ok(!r.indexPack([{ type: 'tag', data: tag }]).accepted);

    const t = tree(dir('d'), file('e', '100755'), file('l', '120000'), ['160000', 'm', 'cd'.repeat(20)], ['170000', 'n', 'ef'.repeat(20)], file('x', '123456'));
    assert.deepEqual(expectedLinks('tree', t), [
      { id: r.tree, type: 'tree' },
      { id: r.blob, type: 'blob' },
      { id: r.blob, type: 'blob' },
      { id: r.blob, type: 'blob' },
    ]);
    // Lenient on what fsck refuses: the links that can be read.
    assert.deepEqual(expectedLinks('tree', tree(dir('d'), file('e', 'junk'))), [{ id: r.tree, type: 'tree' }]);
    assert.deepEqual(expectedLinks('commit', Buffer.from('tree xyz\n')), []);
    assert.deepEqual(expectedLinks('blob', Buffer.from('tree ' + r.tree + '\n')), []);
  });

  test('a branch tip must be a commit, as git update-ref says', () => {
    const refusal = gitStatus(r.dir, ['update-ref', 'refs/heads/x', r.blob]);
    assert.notEqual(refusal.status, 0);
    const message = checkRefTarget('refs/heads/x', r.blob, 'blob');
    assert.ok(message);
    assert.ok(refusal.stderr.includes(message), refusal.stderr);
    assert.ok(checkRefTarget('HEAD', r.tree, 'tree'));
    assert.equal(checkRefTarget('refs/heads/x', r.commit, 'commit'), null);
    assert.equal(gitStatus(r.dir, ['update-ref', 'refs/tags/x', r.blob]).status, 0);
    assert.equal(checkRefTarget('refs/tags/x', r.blob, 'blob'), null);
  });

  test('sha256 repositories', () => {
    const r256 = new Receiver(root, 'sha256');
    const dup = treeBytes([['100644', 'a', r256.blob], ['100644', 'a', r256.blob]]);
    const verdict = r256.indexPack([{ type: 'tree', data: dup }]);
    assert.ok(!verdict.accepted);
    assert.deepEqual(ours('tree', dup, 'sha256'), verdict.errors);
    assert.deepEqual(ours('tree', dup, 'sha256').map((m) => m.split(': ')[1]), ['duplicateEntries']);
    const c = Buffer.from(`tree ${r256.tree}\nparent ${r256.commit}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nmsg\n`);
    assert.deepEqual(ours('commit', c, 'sha256'), []);
    assert.ok(r256.indexPack([{ type: 'commit', data: c }]).accepted);
    assert.deepEqual(expectedLinks('commit', c, 'sha256'), [
      { id: r256.tree, type: 'tree' },
      { id: r256.commit, type: 'commit' },
    ]);
    // A sha1 id is a bad id in a sha256 commit.
    assert.deepEqual(ours('commit', Buffer.from(`tree ${r.tree}\nauthor ${IDENT}\ncommitter ${IDENT}\n\nmsg\n`), 'sha256').map((m) => m.split(': ')[1]), ['badTreeSha1']);
  });
});

describe('fsck of a real repository', () => {
  let root: string;
  let repo: string;
  before(() => {
    root = tempDir('govc-fsck-').path;
    repo = makeFixtureRepo(root);
  });
  after(() => removeDir(root));

  test('git fsck --strict and we find nothing wrong in any object', () => {
    assert.equal(gitStatus(repo, ['fsck', '--strict', '--no-dangling']).status, 0);
    const objects = allObjects(repo);
    for (const o of objects) assert.deepEqual(fsckObject(o.id, o.type, o.data), [], `${o.type} ${o.id}`);
  });

  test('links are the ones git follows', () => {
    const objects = allObjects(repo);
    const byId = new Map(objects.map((o) => [o.id, o]));
    const types = new Map(objects.map((o) => [o.id, o.type]));
    for (const line of gitSync(repo, ['log', '--all', '--format=%H %T %P']).trim().split('\n')) {
      const [id, tree, ...parents] = line.split(' ').filter(Boolean);
      const o = byId.get(id)!;
      assert.deepEqual(expectedLinks('commit', o.data), [{ id: tree, type: 'tree' }, ...parents.map((p) => ({ id: p, type: 'commit' }))]);
    }
    for (const o of objects.filter((x) => x.type === 'tree')) {
      // ls-tree's type column; gitlinks ("commit") are not followed.
      const listed = gitSync(repo, ['ls-tree', o.id])
        .split('\n')
        .filter((l) => l && !l.includes(' commit '))
        .map((l) => ({ id: l.split(/\s/)[2], type: l.split(' ')[1] }));
      assert.deepEqual(expectedLinks('tree', o.data), listed, `tree ${o.id}`);
    }
    let tags = 0;
    for (const o of objects.filter((x) => x.type === 'tag')) {
      const [object, type] = gitSync(repo, ['cat-file', '-p', o.id]).split('\n').map((l) => l.split(' ')[1]);
      assert.deepEqual(expectedLinks('tag', o.data), [{ id: object, type }]);
      assert.equal(types.get(object), type);
      tags++;
    }
    assert.ok(tags >= 3);
  });
});
