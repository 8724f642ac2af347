/** Concurrent writers and readers, and the compare-and-swap race. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { blob, blobId, makeRepository, type SuiteContext } from '../context.js';
import { scaled } from '../target.js';

const RACERS = 32;
const ROUNDS = 20;

export function concurrencyCases(ctx: SuiteContext): void {
  it(`lets exactly one of ${RACERS} concurrent compare-and-swap updates win, every round`, async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      let current = blobId('round start');
      await store.updateRefs(repo, [{ name: 'refs/heads/contended', old: null, new: current }]);
      for (let round = 0; round < ROUNDS; round++) {
        const targets = Array.from({ length: RACERS }, (_, i) => blobId(`round ${round} racer ${i}`));
        const results = await Promise.allSettled(
          targets.map((target) => store.updateRefs(repo, [{ name: 'refs/heads/contended', old: current, new: target }])),
        );
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
        for (const r of results) {
          if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'CONFLICT', String(r.reason));
        }
        current = targets[winners[0]];
        assert.equal((await store.getRef(repo, 'refs/heads/contended'))?.target, current);
      }
    });
  });

  it('loses no update when many writers increment through compare-and-swap retries', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      const value = (n: number) => blobId(`counter ${n}`);
      await store.updateRefs(repo, [{ name: 'refs/counter', old: null, new: value(0) }]);
      const decode = new Map(Array.from({ length: 200 }, (_, n) => [value(n), n]));
      const workers = scaled(ctx.target, 16, 4);
      const perWorker = scaled(ctx.target, 8, 2);
      await Promise.all(
        Array.from({ length: workers }, async () => {
          for (let done = 0; done < perWorker; ) {
            const seen = (await store.getRef(repo, 'refs/counter'))!.target;
            const n = decode.get(seen)!;
            try {
              await store.updateRefs(repo, [{ name: 'refs/counter', old: seen, new: value(n + 1) }]);
              done++;
            } catch (err) {
              if ((err as { code?: string }).code !== 'CONFLICT') throw err;
            }
          }
        }),
      );
      assert.equal(decode.get((await store.getRef(repo, 'refs/counter'))!.target), workers * perWorker);
    });
  });

  it('serves concurrent writes and reads of objects, refs and metadata consistently', async () => {
    await ctx.withStore(async (store) => {
      const repo = await makeRepository(store);
      const count = scaled(ctx.target, 40, 8);
      const writers = Array.from({ length: count }, async (_, i) => {
        const id = await store.putObject(blob(`concurrent ${i}`));
        await store.updateRefs(repo, [{ name: `refs/heads/w${i}`, old: null, new: id }]);
        await store.createUser({ username: `user${i}`, email: `user${i}@example.com` });
        await store.logEvent({ action: 'concurrent', details: { i } });
        return id;
      });
      // the same object written by many at once is stored once
      const same = Array.from({ length: 20 }, () => store.putObject(blob('everyone writes this')));
      const ids = await Promise.all(writers);
      assert.equal(new Set(await Promise.all(same)).size, 1);
      const reads = await Promise.all(ids.map((id) => store.getObject(id)));
      reads.forEach((o, i) => assert.equal(Buffer.from(o!.data).toString(), `concurrent ${i}`));
      assert.equal((await store.listRefsPage(repo, { limit: 100 })).items.length, count);
      assert.equal((await store.listUsers({ limit: 100 })).items.length, count);
      assert.equal(await store.countEvents({ action: 'concurrent' }), count);
      // concurrent creates of one username: exactly one wins
      const dupes = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) => store.createUser({ username: 'dupe', email: `dupe${i}@example.com` })),
      );
      assert.equal(dupes.filter((r) => r.status === 'fulfilled').length, 1);
    });
  });
}
