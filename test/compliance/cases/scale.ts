/** Large objects and many small ones. */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { hashObject } from '../../../src/datastore/index.js';
import type { SuiteContext } from '../context.js';

export function scaleCases(ctx: SuiteContext): void {
  const largeBytes = ctx.target.largeObjectBytes ?? 64 * 1024 * 1024;
  const many = ctx.target.manyObjects ?? 100_000;

  it(`stores and reads back a ${Math.round(largeBytes / 1024 / 1024)} MiB object intact`, async (t) => {
    if ((await ctx.capabilities()).maxObjectSize < largeBytes) return t.skip('store declares a smaller maxObjectSize');
    await ctx.withStore(async (store) => {
      const data = randomBytes(largeBytes);
      const id = await store.putObject({ type: 'blob', data });
      assert.equal(id, hashObject('blob', data));
      const got = await store.getObject(id);
      assert.equal(got?.data.byteLength, largeBytes);
      assert.equal(createHash('sha1').update(got!.data).digest('hex'), createHash('sha1').update(data).digest('hex'));
      assert.equal((await store.statObject(id))?.size, largeBytes);
    });
  });

  it(`stores ${many.toLocaleString('en')} small objects and lists them all`, async () => {
    await ctx.withStore(async (store) => {
      const batch = 1000;
      const sample: string[] = [];
      for (let start = 0; start < many; start += batch) {
        const objects = Array.from({ length: Math.min(batch, many - start) }, (_, i) => ({
          type: 'blob' as const,
          data: Buffer.from(`small object ${start + i}`),
        }));
        const ids = await store.putObjects(objects);
        sample.push(ids[0], ids[ids.length - 1]);
      }
      let count = 0;
      let previous = '';
      for await (const id of store.listObjects()) {
        assert.ok(id > previous, 'ids come in ascending order');
        previous = id;
        count++;
      }
      assert.equal(count, many);
      assert.equal((await store.metrics()).objectCount, many);
      const got = await store.getObjects(sample);
      assert.equal(got.size, new Set(sample).size);
      assert.equal(Buffer.from(got.get(sample[0])!.data).toString(), 'small object 0');
    });
  });
}
