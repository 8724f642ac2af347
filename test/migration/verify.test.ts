/**
 * verify reports every kind of difference (and not a re-encoded object), the
 * CLI exits 1 on any; migrate --incremental brings changes on both sides back
 * to the source's state; a resumed migrate does not copy again. SQLite
 * source, PostgreSQL target (a real server).
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createStore, type DataStore } from '../../src/datastore/index.js';
import { wholeEntry } from '../../src/datastore/objects/encoding.js';
import { copyStore } from '../../src/datastore/migration/copy.js';
import { verifyStores } from '../../src/datastore/migration/verify.js';
import { govc } from './cli.js';
import { populate, TestStores } from './stores.js';

const stores = new TestStores();
after(() => stores.cleanup());

async function pair(): Promise<{ source: DataStore; target: DataStore; sourceUri: string; targetUri: string }> {
  const sourceUri = await stores.uri('sqlite');
  const targetUri = await stores.uri('postgres');
  const source = await createStore(sourceUri);
  await populate(source, 2, 'v');
  const target = await createStore(targetUri);
  await copyStore(source, target, sourceUri);
  return { source, target, sourceUri, targetUri };
}

describe('verify and incremental migrate', () => {
  it('reports each difference by kind and key, and exits 1 from the CLI', async () => {
    const { source, target, sourceUri, targetUri } = await pair();
    try {
      assert.equal((await verifyStores(source, target)).equal, true);
      // an object stored differently (a delta rewritten whole) is the same object: no difference
      const [delta] = [...(await source.getEntries([...(await listIds(source))])).values()].filter((e) => e.base);
      const built = (await source.getObject(delta.id))!;
      await target.replaceEntries([wholeEntry(delta.id, built.type, built.data)]);
      assert.equal((await verifyStores(source, target)).equal, true, 'a re-encoded object compares by content');

      const repo = (await target.listRepositories()).items[0];
      await target.updateRepository(repo.id, { description: 'changed' });
      await target.updateRefs(repo.id, [{ name: 'refs/tags/v1', new: null }]);
      const blob = await source.putObject({ type: 'blob', data: Buffer.from('only in the source') });
      await target.setConfig('only.target', 'x');
      const user = (await target.listUsers()).items[0];
      await target.updateUser(user.id, { displayName: 'Changed' });
      await source.logEvent({ action: 'later' });

      const report = await verifyStores(source, target);
      const seen = report.first.map((d) => `${d.problem} ${d.kind} ${d.kind === 'event' ? '' : d.key}`).sort();
      assert.deepEqual(seen, [
        'differs repository ' + repo.name,
        'differs user ' + user.username,
        'missing in target event ',
        `missing in target object ${blob}`,
        `missing in target ref ${repo.name} refs/tags/v1`,
        'only in target config only.target',
      ].sort());
      assert.equal(report.differences, 6);

      const cli = await govc('datastore', 'verify', '--source', sourceUri, '--target', targetUri);
      assert.equal(cli.status, 1);
      assert.match(cli.stdout, /^missing in target object [0-9a-f]{40}$/m);
      assert.match(cli.stdout, /^6 differences/m);

      const incremental = await govc('datastore', 'migrate', '--source', sourceUri, '--target', targetUri, '--incremental', '--verify', '--json');
      assert.equal(incremental.status, 0, incremental.stderr + incremental.stdout);
      const lines = incremental.stdout.trim().split('\n').map((l) => JSON.parse(l));
      assert.equal(lines.at(-1).equal, true);
      assert.equal((await verifyStores(source, target)).equal, true);
    } finally {
      await source.close();
      await target.close();
    }
  });

  it('a second run after a complete one copies nothing and appends no event twice', async () => {
    const { source, target, sourceUri } = await pair();
    try {
      const events = await target.countEvents();
      const again = await copyStore(source, target, sourceUri);
      assert.deepEqual(again.copied, { object: 0, repository: 0, ref: 0, user: 0, event: 0, config: 0, commit: 0 });
      assert.equal(await target.countEvents(), events);
    } finally {
      await source.close();
      await target.close();
    }
  });
});

async function listIds(store: DataStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of store.listObjects()) ids.push(id);
  return ids;
}
