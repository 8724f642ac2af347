/**
 * The key-value stores' event indexes, proven by counting: with 100,000 audit
 * events, a filtered page of 10 reads about 10 index entries and 10 records,
 * not 100,000. The counts come from the engines' own read counters; the
 * timing ratio against a full scan is printed as a diagnostic.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createStore, type AuditEvent, type DataStore } from '../../src/datastore/index.js';
import type { EventQuery, WriteOp } from '../../src/datastore/driver.js';
import { matchesEvent, selectEvents } from '../../src/datastore/filters.js';
import type { KvEngine } from '../../src/datastore/stores/kv/engine.js';
import { eachEntry } from '../../src/datastore/stores/kv/iterate.js';
import { NS, prefixEnd } from '../../src/datastore/stores/kv/keys.js';
import type { KvDriver } from '../../src/datastore/stores/kv/kv-driver.js';
import { decodeEvent } from '../../src/datastore/stores/kv/records.js';

const EVENTS = 100_000;
const T0 = Date.UTC(2025, 0, 1);
/** Page size + 1 (the DataStore asks for one more to know a next page exists), times index entry + record. */
const PAGE_READ_BUDGET = 2 * 11 + 4;

const root = mkdtempSync(join(tmpdir(), 'govc-kv-index-test-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** 100,000 events: 200 users, 8 actions, 50 repositories; user "rare" has 31 of them, spread over the whole time span. */
function makeEvents(): AuditEvent[] {
  const events: AuditEvent[] = [];
  for (let i = 0; i < EVENTS; i++) {
    const rare = i % 3_333 === 7;
    events.push({
      id: `ev-${String(i).padStart(6, '0')}`,
      // Pairs share a millisecond so (timestamp, id) order matters.
      timestamp: new Date(T0 + Math.floor(i / 2) * 1000),
      userId: rare ? 'rare' : `user-${i % 200}`,
      action: rare ? 'audit' : `action-${i % 8}`,
      resource: `repo-${i % 50}/refs/heads/b${i % 7}`,
      repositoryId: `repo-${i % 50}`,
      details: { i },
    });
  }
  return events;
}

function engineOf(store: DataStore): KvEngine {
  return (store.driver as KvDriver).engine;
}

function readsDuring<T>(engine: KvEngine, fn: () => Promise<T>): Promise<{ result: T; reads: number }> {
  const before = engine.counters.pointReads + engine.counters.rangeEntries;
  return fn().then((result) => ({ result, reads: engine.counters.pointReads + engine.counters.rangeEntries - before }));
}

/** The same query without indexes: every event record scanned and filtered. */
async function fullScan(engine: KvEngine, q: EventQuery): Promise<AuditEvent[]> {
  const ns = Buffer.from(NS.event, 'latin1');
  const hits: AuditEvent[] = [];
  for await (const { value } of eachEntry(engine, { gte: ns, lt: prefixEnd(ns) })) {
    const e = decodeEvent(value);
    if (matchesEvent(e, q)) hits.push(e);
  }
  return selectEvents(hits, q);
}

async function medianMs(runs: number, fn: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[Math.floor(runs / 2)];
}

const ids = (events: AuditEvent[]) => events.map((e) => e.id);

for (const type of ['rocksdb', 'lmdb']) {
  describe(`${type} event indexes with ${EVENTS.toLocaleString('en')} events`, { concurrency: false }, () => {
    let store: DataStore;
    let engine: KvEngine;
    const events = makeEvents();
    const expected = (q: Omit<EventQuery, 'offset' | 'order'> & { order?: 'asc' | 'desc'; offset?: number }) =>
      ids(selectEvents(events, { offset: 0, order: 'asc', ...q }));

    before(async () => {
      const start = performance.now();
      store = await createStore(`${type}://${join(root, type)}`);
      engine = engineOf(store);
      for (let i = 0; i < EVENTS; i += 2_000) {
        const ops: WriteOp[] = events.slice(i, i + 2_000).map((event) => ({ op: 'appendEvent', event }));
        await store.driver.write(ops);
      }
      console.log(`${type}: wrote ${EVENTS} events with their index keys in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    });
    after(() => store.close());

    it('reads about 10 entries for a page of 10 events of one user, and matches a full scan', async (t) => {
      const { result, reads } = await readsDuring(engine, () => store.queryEvents({ userId: 'rare', limit: 10 }));
      assert.deepEqual(ids(result.items), expected({ userId: 'rare', limit: 10 }));
      assert.ok(reads <= PAGE_READ_BUDGET, `page of 10 read ${reads} entries`);

      const q: EventQuery = { userId: 'rare', order: 'asc', offset: 0, limit: 11 };
      const indexedMs = await medianMs(21, () => store.queryEvents({ userId: 'rare', limit: 10 }));
      const scanStart = performance.now();
      const scanReads = await readsDuring(engine, () => fullScan(engine, q));
      const scanMs = performance.now() - scanStart;
      assert.deepEqual(ids(scanReads.result).slice(0, 10), ids(result.items));
      t.diagnostic(
        `${type}: indexed page ${reads} reads, ${indexedMs.toFixed(3)} ms; full scan ${scanReads.reads} reads, ${scanMs.toFixed(1)} ms; ` +
          `reads ratio ${(scanReads.reads / reads).toFixed(0)}x, time ratio ${(scanMs / indexedMs).toFixed(0)}x`,
      );
      assert.ok(scanReads.reads >= EVENTS, 'the full scan reads every event');
    });

    it('pages in both orders with cursors, each page reading about 10 entries', async () => {
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const { result: page, reads } = await readsDuring(engine, () => store.queryEvents({ userId: 'rare', order, limit: 10, cursor }));
          assert.ok(reads <= PAGE_READ_BUDGET, `${order} page read ${reads} entries`);
          seen.push(...ids(page.items));
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(seen, expected({ userId: 'rare', order, limit: EVENTS }));
      }
    });

    it('uses the action, repository, resource and time indexes the same way', async () => {
      const queries: Array<Omit<EventQuery, 'offset' | 'limit' | 'order'> & { order?: 'asc' | 'desc' }> = [
        { action: 'action-3' },
        { action: 'action-3', order: 'desc' },
        { repositoryId: 'repo-17', since: T0 + 20_000_000 },
        { resource: 'repo-4/refs/heads/b4', order: 'desc', until: T0 + 40_000_000 },
        { since: T0 + 30_000_000, until: T0 + 30_100_000 },
        { order: 'desc' },
      ];
      for (const q of queries) {
        const { result, reads } = await readsDuring(engine, () => store.queryEvents({ ...q, since: q.since === undefined ? undefined : new Date(q.since), until: q.until === undefined ? undefined : new Date(q.until), limit: 10 }));
        assert.deepEqual(ids(result.items), expected({ ...q, limit: 10 }), JSON.stringify(q));
        assert.ok(reads <= PAGE_READ_BUDGET, `${JSON.stringify(q)} read ${reads} entries`);
      }
    });

    it('skips an offset on index keys alone and counts without reading records', async () => {
      const { result, reads } = await readsDuring(engine, () => store.queryEvents({ action: 'action-5', offset: 500, limit: 10 }));
      assert.deepEqual(ids(result.items), expected({ action: 'action-5', offset: 500, limit: 10 }));
      assert.ok(reads <= 511 + 11 + 4, `offset 500 read ${reads} entries`);
      const counted = await readsDuring(engine, () => store.countEvents({ userId: 'rare' }));
      assert.equal(counted.result, events.filter((e) => e.userId === 'rare').length);
      assert.ok(counted.reads <= counted.result + 1, `count read ${counted.reads} entries`);
    });

    it('combines filters correctly, reading only the chosen index range', async () => {
      const cases = [
        { userId: 'rare', action: 'audit' },
        { repositoryId: 'repo-7', action: 'action-7', resourcePrefix: 'repo-7/refs/heads/b' },
        { resourcePrefix: 'repo-1/' },
      ];
      for (const q of cases) {
        const { result, reads } = await readsDuring(engine, () => store.queryEvents({ ...q, limit: 10 }));
        assert.deepEqual(ids(result.items), expected({ ...q, limit: 10 }), JSON.stringify(q));
        assert.ok(reads < EVENTS / 10, `${JSON.stringify(q)} read ${reads} entries`);
        const matching = events.filter((e) => matchesEvent(e, q)).length;
        assert.equal(await store.countEvents(q), matching, `count of ${JSON.stringify(q)}`);
      }
    });
  });
}
