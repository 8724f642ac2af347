import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { hashObject } from '../../src/datastore/hash.js';
import {
  decodeLooseObject,
  encodeLooseObject,
  entryKind,
  formatMode,
  parseCommit,
  parseIdentity,
  parseTag,
  parseTree,
  serializeCommit,
  serializeTag,
  serializeTree,
  sortTreeEntries,
} from '../../src/git/index.js';
import { allObjects, type CatObject } from './cat-file.js';
import { tempDir } from '../../support/temp-dir.js';
import { makeFixtureRepo, removeDir } from './fixture.js';
import { gitSync } from '../../support/git.js';

describe('git object model against git cat-file', () => {
  let root: string;
  let objects: CatObject[];
  before(() => {
    root = tempDir().path;
    objects = allObjects(makeFixtureRepo(root));
  });
  after(() => removeDir(root));

  test('every commit, tag and tree serializes back to its exact bytes', () => {
    const seen = { commit: 0, tag: 0, tree: 0, blob: 0 };
    for (const o of objects) {
      seen[o.type]++;
      assert.equal(hashObject(o.type, o.data), o.id);
      const again = o.type === 'commit' ? serializeCommit(parseCommit(o.data)) : o.type === 'tag' ? serializeTag(parseTag(o.data)) : o.type === 'tree' ? serializeTree(parseTree(o.data)) : o.data;
      assert.ok(again.equals(o.data), `${o.type} ${o.id} changed in a round trip`);
    }
    assert.ok(seen.commit >= 12 && seen.tag >= 3 && seen.tree >= 8, JSON.stringify(seen));
  });

  test('extra headers (gpgsig, mergetag, encoding) are kept in order and whole', () => {
    const commits = objects.filter((o) => o.type === 'commit').map((o) => parseCommit(o.data));
    const signed = commits.find((c) => c.extraHeaders.some((h) => h.key === 'gpgsig'));
    assert.ok(signed);
    assert.match(signed.extraHeaders[0].value!, /^-----BEGIN PGP SIGNATURE-----\n\niQEzBAABCAAdFiEE\n=abcd\n-----END PGP SIGNATURE-----$/);
    const merged = commits.find((c) => c.extraHeaders.some((h) => h.key === 'mergetag'));
    assert.ok(merged);
    assert.deepEqual(merged.extraHeaders.map((h) => h.key), ['mergetag', 'encoding']);
    assert.equal(merged.textEncoding, 'latin1');
    assert.equal(merged.message, 'caf\xe9 in latin1\n');
    assert.equal(merged.parents.length, 2);
    assert.ok(commits.some((c) => c.parents.length === 3), 'the octopus merge has three parents');
    const mergetag = parseTag(Buffer.from(merged.extraHeaders[0].value! + '\n', 'latin1'));
    assert.equal(mergetag.name, 'v1.0');
  });

  test('tree entries keep modes and byte names (non-UTF-8 included)', () => {
    const kinds = new Set<string>();
    let latin1Name = false;
    for (const o of objects.filter((x) => x.type === 'tree')) {
      const entries = parseTree(o.data);
      for (const e of entries) {
        kinds.add(entryKind(e.mode));
        if (e.name.includes(0xe9) && !e.name.toString('utf8').includes('é')) latin1Name = true;
      }
      const sorted = sortTreeEntries([...entries].reverse());
      assert.ok(serializeTree(sorted).equals(o.data), `git's order is ours for tree ${o.id}`);
    }
    assert.deepEqual([...kinds].sort(), ['executable', 'file', 'gitlink', 'symlink', 'tree']);
    assert.ok(latin1Name, 'the fixture has a name that is not UTF-8');
    assert.equal(formatMode('40000'), '040000');
  });

  test('loose objects decode as git wrote them and encode back', () => {
    const dir = makeFixtureRepo(tempDir().path);
    try {
      const id = gitSync(dir, ['hash-object', '-w', '--stdin'], { input: 'loose\n' }).trim();
      const obj = decodeLooseObject(readFileSync(`${dir}/.git/objects/${id.slice(0, 2)}/${id.slice(2)}`));
      assert.equal(obj.type, 'blob');
      assert.equal(Buffer.from(obj.data).toString(), 'loose\n');
      assert.deepEqual(decodeLooseObject(encodeLooseObject(obj)), obj);
    } finally {
      removeDir(dir.replace(/\/fixture$/, ''));
    }
  });

  test('identities: canonical lines parse, odd ones are kept verbatim', () => {
    assert.deepEqual(parseIdentity('A B <a@b> 1700000000 -0130'), { name: 'A B', email: 'a@b', timestamp: 1700000000, timezone: '-0130' });
    const odd = parseIdentity('Nobody <no@where>  1700000000 +0000 extra');
    assert.equal(odd.raw, 'Nobody <no@where>  1700000000 +0000 extra');
    assert.equal(odd.timestamp, 1700000000);
  });
});
