/**
 * Maintenance: `repo gc` turns objects kept whole into deltas (every object
 * still reads back as git has it, an export passes fsck), and `datastore gc`
 * removes objects no repository reaches only after the grace period, never
 * breaking a reachable delta on a removed base.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';
import { hashObject } from '../../src/datastore/hash.js';
import { deltaEntry, ENCODING } from '../../src/datastore/objects/encoding.js';
import type { DataStore } from '../../src/datastore/store.js';
import { createDelta, deltifyRepository, exportRepository, mirrorRefs, pruneStore, UNREACHABLE_PREFIX } from '../../src/git/index.js';
import { allObjects, type CatObject } from './cat-file.js';
import { tempDir } from '../../support/temp-dir.js';
import { makeFixtureRepo, removeDir } from './fixture.js';
import { gitSync } from '../../support/git.js';
import { openStore, STORE_TARGETS } from '../support/stores.js';

const HOUR = 3_600_000;

async function storedBytes(store: DataStore, ids: string[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += 500) for (const e of (await store.getEntries(ids.slice(i, i + 500))).values()) n += e.bytes.byteLength;
  return n;
}

for (const target of STORE_TARGETS) {
  describe(`gc on ${target.name}`, () => {
    let root: string;
    let repo: string;
    let objects: CatObject[];

    before(() => {
      root = tempDir().path;
      repo = makeFixtureRepo(root);
      objects = allObjects(repo);
    });
    after(() => removeDir(root));

    test('repo gc deltifies objects put one by one; every object reads back, the export passes fsck', async () => {
      const store = await openStore(target);
      try {
        // As if every object had been pushed or put on its own: all whole.
        for (let i = 0; i < objects.length; i += 200) await store.putObjects(objects.slice(i, i + 200).map((o) => ({ id: o.id, type: o.type, data: o.data })));
        const repository = await store.createRepository({ name: 'whole' });
        const refs = gitSync(repo, ['for-each-ref', '--format=%(objectname) %(refname)']).trim().split('\n').map((l) => l.split(' '));
        await mirrorRefs(store, repository.id, refs.map(([target, name]) => ({ name, type: 'direct' as const, target })));
        const ids = objects.map((o) => o.id);
        const before = await storedBytes(store, ids);

        const dry = await deltifyRepository(store, repository.id, { dryRun: true });
        assert.ok(dry.deltified > 10, `${dry.deltified} would be deltified`);
        assert.equal(await storedBytes(store, ids), before, 'a dry run changes nothing');

        const r = await deltifyRepository(store, repository.id);
        assert.equal(r.deltified, dry.deltified);
        const afterBytes = await storedBytes(store, ids);
        assert.ok(afterBytes < before, `${afterBytes} < ${before}`);
        const again = await deltifyRepository(store, repository.id);
        assert.equal(again.deltified, 0, 'a second run finds nothing more');
        const got = await store.getObjects(ids);
        for (const o of objects) assert.ok(Buffer.from(got.get(o.id)!.data).equals(o.data), `object ${o.id}`);
        const out = join(root, `export-${target.name}.git`);
        await exportRepository(store, 'whole', out);
        execFileSync('git', ['fsck', '--full', '--strict'], { cwd: out, stdio: 'pipe' });
      } finally {
        await store.close();
      }
    });

    test('datastore gc removes unreachable objects only after the grace period, keeping reachable deltas on them readable', async () => {
      const store = await openStore(target);
      try {
        const repository = await store.createRepository({ name: 'kept' });
        const base = Buffer.from('an old version that nothing reaches any more\n'.repeat(30));
        const kept = Buffer.concat([base, Buffer.from('the version the branch holds\n')]);
        const baseId = await store.putObject({ type: 'blob', data: base });
        const delta = createDelta(base, kept)!;
        const keptId = hashObject('blob', kept);
        await store.putEntries([deltaEntry(keptId, 'blob', kept.length, baseId, 1, delta.length, deflateSync(delta))]);
        const tree = Buffer.concat([Buffer.from('100644 kept.txt\0'), Buffer.from(keptId, 'hex')]);
        const treeId = await store.putObject({ type: 'tree', data: tree });
        const who = 'T <t@example.com> 1700000000 +0000';
        const commitId = await store.putObject({ type: 'commit', data: Buffer.from(`tree ${treeId}\nauthor ${who}\ncommitter ${who}\n\nkept\n`) });
        await store.updateRefs(repository.id, [{ name: 'refs/heads/main', old: null, new: commitId }]);
        const garbage = await store.putObject({ type: 'blob', data: Buffer.from('garbage nobody points at\n') });
        const now = new Date('2026-01-01T00:00:00Z');

        const first = await pruneStore(store, { graceMs: HOUR, now });
        assert.deepEqual([first.reachable, first.unreachable, first.removed, first.waiting], [3, 2, 0, 2]);
        assert.ok(await store.getConfig(`${UNREACHABLE_PREFIX}${garbage}`), 'the first sighting is recorded');
        const dry = await pruneStore(store, { graceMs: HOUR, now: new Date(now.getTime() + 2 * HOUR), dryRun: true });
        assert.equal(dry.removed, 2);
        assert.deepEqual(await store.hasObjects([garbage, baseId]), [true, true], 'a dry run removes nothing');
        const early = await pruneStore(store, { graceMs: HOUR, now: new Date(now.getTime() + HOUR / 2) });
        assert.equal(early.removed, 0, 'within the grace period nothing goes');

        const late = await pruneStore(store, { graceMs: HOUR, now: new Date(now.getTime() + 2 * HOUR) });
        assert.equal(late.removed, 2);
        assert.deepEqual(await store.hasObjects([garbage, baseId, keptId, treeId, commitId]), [false, false, true, true, true]);
        assert.ok(Buffer.from((await store.getObject(keptId))!.data).equals(kept), 'the delta on the removed base was rewritten whole');
        assert.equal((await store.getEntries([keptId])).get(keptId)!.encoding, ENCODING.whole);
        assert.equal(await store.getConfig(`${UNREACHABLE_PREFIX}${garbage}`), undefined, 'its record goes with it');

        // Reachable again before the grace ran out: forgotten, not removed.
        const orphan = await store.putObject({ type: 'blob', data: Buffer.from('briefly unreachable\n') });
        await pruneStore(store, { graceMs: HOUR, now });
        const tree2 = Buffer.concat([tree, Buffer.from('100644 later.txt\0'), Buffer.from(orphan, 'hex')]);
        const tree2Id = await store.putObject({ type: 'tree', data: tree2 });
        const commit2 = await store.putObject({ type: 'commit', data: Buffer.from(`tree ${tree2Id}\nparent ${commitId}\nauthor ${who}\ncommitter ${who}\n\nlater\n`) });
        await store.updateRefs(repository.id, [{ name: 'refs/heads/main', old: commitId, new: commit2 }]);
        const reachableAgain = await pruneStore(store, { graceMs: HOUR, now: new Date(now.getTime() + 2 * HOUR) });
        assert.equal(reachableAgain.removed, 0);
        assert.equal(await store.getConfig(`${UNREACHABLE_PREFIX}${orphan}`), undefined);
        assert.equal(await store.hasObject(orphan), true);
      } finally {
        await store.close();
      }
    });
  });
}
