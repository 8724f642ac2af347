/** Objects: CRUD, integrity, batches, listing. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { it } from 'node:test';
import { hashObject } from '../../../src/datastore/index.js';
import { blob, blobId, collectPages, randomBlob, rejectsWithCode, type SuiteContext } from '../context.js';

export function objectCases(ctx: SuiteContext): void {
  it('puts an object under its git id and reads back exactly what was written', async () => {
    await ctx.withStore(async (store) => {
      const data = Buffer.from([0, 1, 2, 255, 0, 10, 13, 0]);
      const id = await store.putObject({ type: 'blob', data });
      const gitId = execFileSync('git', ['hash-object', '--stdin'], { input: data }).toString().trim();
      assert.equal(id, gitId);
      const got = await store.getObject(id);
      assert.ok(got);
      assert.equal(got.type, 'blob');
      assert.deepEqual(Buffer.from(got.data), data);
      assert.equal(await store.hasObject(id), true);
      assert.deepEqual(await store.statObject(id), { id, type: 'blob', size: data.length });
    });
  });

  it('keeps each object type and handles the empty object', async () => {
    await ctx.withStore(async (store) => {
      for (const type of ['blob', 'tree', 'commit', 'tag'] as const) {
        const data = type === 'blob' ? Buffer.alloc(0) : Buffer.from(`${type} payload`);
        const id = await store.putObject({ type, data });
        assert.equal(id, hashObject(type, data));
        const got = await store.getObject(id);
        assert.equal(got?.type, type);
        assert.equal(Buffer.from(got!.data).toString(), data.toString());
      }
      // the well-known empty blob id
      assert.equal(await store.hasObject('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391'), true);
    });
  });

  it('reports absent objects as absent, not as errors', async () => {
    await ctx.withStore(async (store) => {
      const id = blobId('never written');
      assert.equal(await store.getObject(id), undefined);
      assert.equal(await store.hasObject(id), false);
      assert.equal(await store.statObject(id), undefined);
      await rejectsWithCode(store.requireObject(id), 'NOT_FOUND');
      await store.deleteObject(id); // deleting an absent object is a no-op
    });
  });

  it('makes puts idempotent and deletes remove', async () => {
    await ctx.withStore(async (store) => {
      const a = await store.putObject(blob('same'));
      const b = await store.putObject(blob('same'));
      assert.equal(a, b);
      assert.equal((await store.metrics()).objectCount, 1);
      await store.deleteObject(a);
      assert.equal(await store.hasObject(a), false);
      assert.equal(await store.getObject(a), undefined);
    });
  });

  it('refuses a put whose id does not match its content and stores nothing', async () => {
    await ctx.withStore(async (store) => {
      const wrong = blobId('something else');
      await rejectsWithCode(store.putObject({ ...blob('content'), id: wrong }), 'INVALID_DATA', /hashes to/);
      assert.equal(await store.hasObject(wrong), false);
      assert.equal(await store.hasObject(blobId('content')), false);
      // one bad object in a batch refuses the whole batch
      await rejectsWithCode(store.putObjects([blob('good one'), { ...blob('bad one'), id: wrong }]), 'INVALID_DATA');
      assert.equal(await store.hasObject(blobId('good one')), false);
      // a correct given id is accepted
      assert.equal(await store.putObject({ ...blob('content'), id: blobId('content') }), blobId('content'));
    });
  });

  it('rejects malformed ids, types and data with INVALID_ARGUMENT', async () => {
    await ctx.withStore(async (store) => {
      await rejectsWithCode(store.getObject('not-a-hash'), 'INVALID_ARGUMENT', /40 lowercase hex/);
      await rejectsWithCode(store.getObject('A'.repeat(40)), 'INVALID_ARGUMENT');
      await rejectsWithCode(store.putObject({ type: 'banana' as 'blob', data: Buffer.from('x') }), 'INVALID_ARGUMENT', /object type/);
      await rejectsWithCode(store.putObject({ type: 'blob', data: 'text' as unknown as Buffer }), 'INVALID_ARGUMENT');
      await rejectsWithCode(store.listObjectsPage({ prefix: 'xyz' }), 'INVALID_ARGUMENT');
    });
  });

  it('batch-puts and batch-gets, omitting missing ids', async () => {
    await ctx.withStore(async (store) => {
      const inputs = Array.from({ length: 1000 }, (_, i) => blob(`batch object ${i}`));
      const ids = await store.putObjects(inputs);
      assert.equal(ids.length, 1000);
      assert.equal(new Set(ids).size, 1000);
      const missing = blobId('missing from batch');
      const got = await store.getObjects([...ids.slice(0, 500), missing]);
      assert.equal(got.size, 500);
      assert.equal(got.has(missing), false);
      for (let i = 0; i < 500; i++) assert.equal(Buffer.from(got.get(ids[i])!.data).toString(), `batch object ${i}`);
      const has = await store.hasObjects([ids[0], missing, ids[999]]);
      assert.deepEqual(has, [true, false, true]);
      assert.deepEqual(await store.putObjects([]), []);
      assert.equal((await store.getObjects([])).size, 0);
    });
  });

  it('lists object ids in ascending order by prefix, with cursors and limits', async () => {
    await ctx.withStore(async (store) => {
      const ids = await store.putObjects(Array.from({ length: 300 }, (_, i) => blob(`listed ${i}`)));
      const sorted = [...ids].sort();
      const all: string[] = [];
      for await (const id of store.listObjects()) all.push(id);
      assert.deepEqual(all, sorted);
      // cursor pages chain without gaps or repeats
      const pages = await collectPages((cursor) => store.listObjectsPage({ limit: 7, cursor }));
      assert.ok(pages.every((p) => p.length <= 7));
      assert.deepEqual(pages.flat(), sorted);
      // prefix
      const prefix = sorted[0].slice(0, 1);
      const byPrefix: string[] = [];
      for await (const id of store.listObjects({ prefix })) byPrefix.push(id);
      assert.deepEqual(byPrefix, sorted.filter((id) => id.startsWith(prefix)));
      // a full id as prefix finds exactly it; a prefix nothing has finds nothing
      const exact = await store.listObjectsPage({ prefix: sorted[5] });
      assert.deepEqual(exact.items, [sorted[5]]);
      assert.equal(exact.nextCursor, undefined);
      const absent = 'f'.repeat(12);
      assert.deepEqual((await store.listObjectsPage({ prefix: absent })).items, sorted.filter((id) => id.startsWith(absent)));
      // limit caps the stream
      const capped: string[] = [];
      for await (const id of store.listObjects({ limit: 10 })) capped.push(id);
      assert.deepEqual(capped, sorted.slice(0, 10));
      // limit equal to the count: one page and no cursor
      const exactPage = await store.listObjectsPage({ limit: 300 });
      assert.equal(exactPage.items.length, 300);
      assert.equal(exactPage.nextCursor, undefined);
      await rejectsWithCode(store.listObjectsPage({ limit: 0 }), 'INVALID_ARGUMENT');
      await rejectsWithCode(store.listObjectsPage({ cursor: 'garbage' }), 'INVALID_ARGUMENT', /cursor/);
    });
  });

  it('returns an empty list from an empty store', async () => {
    await ctx.withStore(async (store) => {
      const page = await store.listObjectsPage();
      assert.deepEqual(page.items, []);
      assert.equal(page.nextCursor, undefined);
      assert.equal((await store.metrics()).objectCount, 0);
    });
  });

  it('stores binary content of every byte value unchanged', async () => {
    await ctx.withStore(async (store) => {
      const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
      const rnd = randomBlob(100_000);
      const [a, b] = await store.putObjects([{ type: 'blob', data: every }, rnd]);
      assert.deepEqual(Buffer.from((await store.getObject(a))!.data), every);
      assert.deepEqual(Buffer.from((await store.getObject(b))!.data), rnd.data);
    });
  });
}
