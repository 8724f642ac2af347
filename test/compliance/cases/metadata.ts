/** Repositories, users, audit events and config: one meaning of every field, filter and page. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { AuditEvent } from '../../../src/datastore/index.js';
import { collectPages, rejectsWithCode, type SuiteContext } from '../context.js';

const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** Names at the edges: LIKE wildcards, separators, case, non-ASCII beyond the BMP. */
const EDGE_NAMES = ['a%b', 'a_b', 'aXb', 'a:b', 'a/b/c', 'A-upper', 'ünïcödé', 'emoji-😀', 'z\uffff', 'plain', '100%', '_lead'];

export function metadataCases(ctx: SuiteContext): void {
  it('creates, reads, renames and deletes repositories with unique names', async () => {
    await ctx.withStore(async (store) => {
      const repo = await store.createRepository({
        name: 'alpha',
        description: 'first',
        visibility: 'private',
        ownerId: 'u1',
        metadata: { topics: ['git', 'db'], stars: 3, nested: { ok: true, none: null } },
      });
      assert.equal(typeof repo.id, 'string');
      const got = await store.getRepository(repo.id);
      assert.deepEqual(got, repo);
      assert.deepEqual(await store.getRepositoryByName('alpha'), repo);
      assert.ok(got!.createdAt instanceof Date);
      await rejectsWithCode(store.createRepository({ name: 'alpha' }), 'CONFLICT', /alpha/);
      await rejectsWithCode(store.createRepository({ name: 'other', id: repo.id }), 'CONFLICT');
      const renamed = await store.updateRepository(repo.id, { name: 'beta', description: 'renamed' });
      assert.equal(renamed.name, 'beta');
      assert.equal(renamed.createdAt.getTime(), repo.createdAt.getTime());
      assert.equal(await store.getRepositoryByName('alpha'), undefined);
      assert.equal((await store.getRepositoryByName('beta'))?.description, 'renamed');
      // the old name is free again
      const second = await store.createRepository({ name: 'alpha' });
      await rejectsWithCode(store.updateRepository(second.id, { name: 'beta' }), 'CONFLICT');
      await rejectsWithCode(store.updateRepository('missing-id', { name: 'x' }), 'NOT_FOUND');
      await store.deleteRepository(repo.id);
      assert.equal(await store.getRepository(repo.id), undefined);
      assert.equal(await store.getRepositoryByName('beta'), undefined);
      await store.deleteRepository(repo.id);
      await rejectsWithCode(store.createRepository({ name: '' }), 'INVALID_ARGUMENT');
      await rejectsWithCode(store.createRepository({ name: 'bad\nname' }), 'INVALID_ARGUMENT');
      await rejectsWithCode(store.createRepository({ name: 'half \ud800 surrogate' }), 'INVALID_ARGUMENT', /surrogate/);
      await rejectsWithCode(store.createRepository({ name: 'v', visibility: 'secret' as 'public' }), 'INVALID_ARGUMENT');
    });
  });

  it('filters and pages repositories at the edges', async () => {
    await ctx.withStore(async (store) => {
      for (const [i, name] of EDGE_NAMES.entries()) {
        await store.createRepository({ name, visibility: i % 2 ? 'private' : 'public', ownerId: i % 3 === 0 ? 'owner-1' : null });
      }
      const sorted = [...EDGE_NAMES].sort(byteOrder);
      const pages = await collectPages((cursor) => store.listRepositories({ limit: 5, cursor }));
      assert.deepEqual(pages.map((p) => p.length), [5, 5, 2]);
      assert.deepEqual(pages.flat().map((r) => r.name), sorted);
      const names = async (filter: Parameters<typeof store.listRepositories>[0]) => (await store.listRepositories(filter)).items.map((r) => r.name);
      assert.deepEqual(await names({ namePrefix: 'a%' }), ['a%b']);
      assert.deepEqual(await names({ namePrefix: 'a_' }), ['a_b']);
      assert.deepEqual(await names({ namePrefix: '_' }), ['_lead']);
      assert.deepEqual(await names({ namePrefix: 'a' }), ['a%b', 'a/b/c', 'a:b', 'aXb', 'a_b'].sort(byteOrder));
      assert.deepEqual(await names({ namePrefix: 'A' }), ['A-upper']);
      assert.deepEqual(await names({ namePrefix: 'ün' }), ['ünïcödé']);
      assert.deepEqual(await names({ namePrefix: 'emoji-😀' }), ['emoji-😀']);
      assert.deepEqual(await names({ namePrefix: 'nothing-here' }), []);
      assert.deepEqual(await names({ visibility: 'private' }), EDGE_NAMES.filter((_, i) => i % 2).sort(byteOrder));
      assert.deepEqual(await names({ ownerId: 'owner-1' }), EDGE_NAMES.filter((_, i) => i % 3 === 0).sort(byteOrder));
      assert.deepEqual(await names({ visibility: 'public', ownerId: 'owner-1' }), EDGE_NAMES.filter((_, i) => i % 3 === 0 && i % 2 === 0).sort(byteOrder));
      // offset pages
      assert.deepEqual(await names({ offset: 10, limit: 5 }), sorted.slice(10));
      assert.deepEqual(await names({ offset: 12 }), []);
      assert.deepEqual(await names({ offset: 100 }), []);
      // the last exact page has no cursor
      const exact = await store.listRepositories({ limit: EDGE_NAMES.length });
      assert.equal(exact.nextCursor, undefined);
      await rejectsWithCode(store.listRepositories({ offset: 1, cursor: 'x' }), 'INVALID_ARGUMENT');
      await rejectsWithCode(store.listRepositories({ limit: -1 }), 'INVALID_ARGUMENT');
      await rejectsWithCode(store.listRepositories({ offset: 1.5 }), 'INVALID_ARGUMENT');
      const userCursor = (await store.listUsers({ limit: 1 })).nextCursor;
      assert.equal(userCursor, undefined);
    });
  });

  it('keeps usernames and emails unique and finds users by each', async () => {
    await ctx.withStore(async (store) => {
      const ann = await store.createUser({ username: 'ann', email: 'Ann@Example.com', displayName: 'Ann', isAdmin: true, metadata: { team: 'core' } });
      assert.equal(ann.email, 'ann@example.com');
      assert.deepEqual(await store.getUser(ann.id), ann);
      assert.deepEqual(await store.getUserByUsername('ann'), ann);
      assert.deepEqual(await store.getUserByEmail('ANN@example.COM'), ann);
      await rejectsWithCode(store.createUser({ username: 'ann', email: 'other@example.com' }), 'CONFLICT', /ann/);
      await rejectsWithCode(store.createUser({ username: 'bob', email: 'ann@EXAMPLE.com' }), 'CONFLICT', /email/);
      assert.equal(await store.getUserByUsername('bob'), undefined);
      const bob = await store.createUser({ username: 'bob', email: 'bob@example.com' });
      await rejectsWithCode(store.updateUser(bob.id, { email: 'ann@example.com' }), 'CONFLICT');
      const renamed = await store.updateUser(ann.id, { username: 'anne', email: 'anne@example.com' });
      assert.equal(renamed.username, 'anne');
      assert.equal(await store.getUserByUsername('ann'), undefined);
      assert.equal(await store.getUserByEmail('ann@example.com'), undefined);
      // old name and email are free again
      await store.createUser({ username: 'ann', email: 'ann@example.com' });
      await store.deleteUser(bob.id);
      assert.equal(await store.getUser(bob.id), undefined);
      assert.equal(await store.getUserByEmail('bob@example.com'), undefined);
      await store.createUser({ username: 'bob', email: 'bob@example.com' });
      await rejectsWithCode(store.createUser({ username: 'carl', email: 'not-an-email' }), 'INVALID_ARGUMENT', /email/);
      await rejectsWithCode(store.updateUser('nobody', { displayName: 'x' }), 'NOT_FOUND');
    });
  });

  it('filters and pages users', async () => {
    await ctx.withStore(async (store) => {
      for (const [i, name] of EDGE_NAMES.entries()) {
        await store.createUser({ username: name, email: `user${i}@example.com`, isAdmin: i < 3 });
      }
      const sorted = [...EDGE_NAMES].sort(byteOrder);
      const pages = await collectPages((cursor) => store.listUsers({ limit: 4, cursor }));
      assert.deepEqual(pages.flat().map((u) => u.username), sorted);
      const names = async (filter: Parameters<typeof store.listUsers>[0]) => (await store.listUsers(filter)).items.map((u) => u.username);
      assert.deepEqual(await names({ usernamePrefix: 'a_' }), ['a_b']);
      assert.deepEqual(await names({ usernamePrefix: 'a%' }), ['a%b']);
      assert.deepEqual(await names({ isAdmin: true }), EDGE_NAMES.slice(0, 3).sort(byteOrder));
      assert.deepEqual(await names({ isAdmin: false, usernamePrefix: 'a' }), ['a:b', 'a/b/c'].sort(byteOrder));
      assert.deepEqual(await names({ offset: 2, limit: 3 }), sorted.slice(2, 5));
      assert.deepEqual(await names({ usernamePrefix: 'zz' }), []);
    });
  });

  it('appends audit events and queries them by every filter, in both orders, with cursors and counts', async () => {
    await ctx.withStore(async (store) => {
      const base = Date.UTC(2026, 0, 1);
      const users = ['u1', 'u2', null];
      const actions = ['push', 'clone', 'admin:create_user'];
      const logged: AuditEvent[] = [];
      for (let i = 0; i < 60; i++) {
        logged.push(
          await store.logEvent({
            action: actions[i % 3],
            userId: users[i % 3 === 0 ? 0 : i % 2],
            resource: i % 4 === 0 ? null : `repo/r${i % 5}/refs_%${i % 2}`,
            repositoryId: i % 5 === 0 ? 'repo-5' : null,
            // several events share a millisecond; one is 1ms before the range start
            timestamp: new Date(base + Math.floor(i / 3) * 1000 + (i === 59 ? 123 : 0)),
            details: { i, tags: ['x'], nested: { deep: i % 2 === 0 } },
          }),
        );
      }
      const all = await store.queryEvents({ limit: 1000 });
      assert.equal(all.items.length, 60);
      assert.equal(all.nextCursor, undefined);
      const key = (e: { timestamp: Date; id: string }) => [e.timestamp.getTime(), e.id] as const;
      const ascending = [...logged].sort((a, b) => key(a)[0] - key(b)[0] || (key(a)[1] < key(b)[1] ? -1 : 1));
      assert.deepEqual(all.items.map((e) => e.id), ascending.map((e) => e.id));
      // ms precision and JSON details survive
      const e59 = all.items.find((e) => (e.details as { i: number }).i === 59)!;
      assert.equal(e59.timestamp.getTime(), base + 19 * 1000 + 123);
      assert.deepEqual(e59.details, { i: 59, tags: ['x'], nested: { deep: false } });
      assert.deepEqual(all.items[0], ascending[0]);

      const check = async (filter: Parameters<typeof store.queryEvents>[0], predicate: (e: (typeof logged)[number]) => boolean) => {
        const expected = ascending.filter(predicate).map((e) => e.id);
        const got = (await collectPages((cursor) => store.queryEvents({ ...filter, cursor, limit: 7 }))).flat().map((e) => e.id);
        assert.deepEqual(got, expected, `filter ${JSON.stringify(filter)}`);
        const desc = (await collectPages((cursor) => store.queryEvents({ ...filter, order: 'desc', cursor, limit: 4 }))).flat().map((e) => e.id);
        assert.deepEqual(desc, [...expected].reverse(), `desc filter ${JSON.stringify(filter)}`);
        assert.equal(await store.countEvents(filter ?? {}), expected.length, `count ${JSON.stringify(filter)}`);
      };
      await check({}, () => true);
      await check({ userId: 'u1' }, (e) => e.userId === 'u1');
      await check({ action: 'admin:create_user' }, (e) => e.action === 'admin:create_user');
      await check({ resource: 'repo/r1/refs_%1' }, (e) => e.resource === 'repo/r1/refs_%1');
      await check({ resourcePrefix: 'repo/r2/refs_%' }, (e) => (e.resource ?? '').startsWith('repo/r2/refs_%'));
      await check({ resourcePrefix: 'repo/r2/refs__' }, () => false);
      // an empty prefix means "has a resource"
      await check({ resourcePrefix: '' }, (e) => e.resource !== null);
      await check({ repositoryId: 'repo-5' }, (e) => e.repositoryId === 'repo-5');
      const since = new Date(base + 5000);
      const until = new Date(base + 12000);
      await check({ since, until }, (e) => e.timestamp >= since && e.timestamp < until);
      await check({ since: new Date(base + 19000) }, (e) => e.timestamp.getTime() >= base + 19000);
      await check({ until: new Date(base) }, () => false);
      await check({ userId: 'u2', action: 'clone', since }, (e) => e.userId === 'u2' && e.action === 'clone' && e.timestamp >= since);
      await check({ userId: 'nobody' }, () => false);
      // offset in descending order
      const off = await store.queryEvents({ order: 'desc', offset: 55, limit: 10 });
      assert.deepEqual(off.items.map((e) => e.id), [...ascending].reverse().slice(55).map((e) => e.id));
      // a cursor from one order is refused in the other
      const firstPage = await store.queryEvents({ limit: 5 });
      await rejectsWithCode(store.queryEvents({ order: 'desc', cursor: firstPage.nextCursor }), 'INVALID_ARGUMENT');
      await rejectsWithCode(store.queryEvents({ since: new Date('nope') }), 'INVALID_ARGUMENT');
      // event ids are unique: restoring one twice is a conflict and adds nothing
      await rejectsWithCode(store.restoreEvent(logged[0]), 'CONFLICT');
      assert.equal(await store.countEvents({}), 60);
    });
  });

  it('sets, overwrites, lists and deletes config', async () => {
    await ctx.withStore(async (store) => {
      assert.equal(await store.getConfig('core.bare'), undefined);
      await store.setConfig('core.bare', 'true');
      await store.setConfig('core.bare', 'false');
      assert.equal(await store.getConfig('core.bare'), 'false');
      await store.setConfig('core.a_b', '1');
      await store.setConfig('core.a%b', '2');
      await store.setConfig('user.name', 'ünï 😀');
      await store.setConfig('empty', '');
      assert.equal(await store.getConfig('empty'), '');
      const pairs: Array<[string, string]> = [];
      for await (const p of store.listConfig('core.')) pairs.push(p);
      assert.deepEqual(pairs, [
        ['core.a%b', '2'],
        ['core.a_b', '1'],
        ['core.bare', 'false'],
      ]);
      assert.deepEqual((await store.listConfigPage({ prefix: 'core.a_' })).items, [['core.a_b', '1']]);
      const pages = await collectPages((cursor) => store.listConfigPage({ limit: 2, cursor }));
      assert.deepEqual(pages.flat().map(([k]) => k), ['core.a%b', 'core.a_b', 'core.bare', 'empty', 'user.name']);
      await store.deleteConfig('core.bare');
      assert.equal(await store.getConfig('core.bare'), undefined);
      assert.equal(await store.getConfig('user.name'), 'ünï 😀');
      await rejectsWithCode(store.setConfig('', 'x'), 'INVALID_ARGUMENT');
    });
  });
}
