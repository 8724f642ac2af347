/** The pieces of `govc datastore bench`: argument checks, percentiles, blobs, targets, the JSON shape, and the run itself. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlobSource, distinctBlobCapacity } from '../../src/bench/blobs.js';
import { IdList } from '../../src/datastore/id-list.js';
import { BENCH_OPS, blobsNeeded, opCounts, planTargetMs } from '../../src/bench/ops.js';
import { checkBenchOptions, MAX_SIZE, parsePositiveInteger } from '../../src/bench/options.js';
import { silentProgress, terminalProgress, type Progress } from '../../src/bench/progress.js';
import { toJson } from '../../src/bench/report.js';
import { runBench } from '../../src/bench/run-bench.js';
import { percentile, Timings } from '../../src/bench/timings.js';
import { describeFailure, redactUri, splitCheck } from '../../src/cli/datastore-commands.js';
import { ConfigError, ConnectionError } from '../../src/datastore/errors.js';
import { createStore, hashObject } from '../../src/datastore/index.js';

describe('bench arguments', () => {
  it('parsePositiveInteger accepts whole numbers with separators', () => {
    assert.equal(parsePositiveInteger('--objects', '1', 10), 1);
    assert.equal(parsePositiveInteger('--objects', '100_000', 1e6), 100_000);
    assert.equal(parsePositiveInteger('--objects', '100,000', 1e6), 100_000);
    assert.equal(parsePositiveInteger('--objects', ' 42 ', 100), 42);
  });

  it('parsePositiveInteger refuses zero, negatives, fractions, exponents, words and too large values', () => {
    for (const bad of ['0', '-1', '1.5', '1e3', 'abc', '', '0x10', 'Infinity', 'NaN']) {
      assert.throws(() => parsePositiveInteger('--objects', bad, 1e6), /--objects must be/, bad);
    }
    assert.throws(() => parsePositiveInteger('--size', '11', 10), /--size must be at most 10; got 11/);
  });

  it('checkBenchOptions refuses sizes too small for distinct blobs', () => {
    assert.deepEqual(checkBenchOptions({ objects: 10, size: 2 }), { objects: 10, size: 2 });
    assert.throws(() => checkBenchOptions({ objects: 300, size: 1 }), /use a larger --size/);
    assert.throws(() => checkBenchOptions({ objects: 100, size: 1 }), /distinct/, '100 + one batch of 1000 needs more than 256');
    assert.doesNotThrow(() => checkBenchOptions({ objects: 100_000, size: 3 }));
    assert.doesNotThrow(() => checkBenchOptions({ objects: 10_000_000, size: MAX_SIZE }));
  });
});

describe('bench timings', () => {
  it('percentile is nearest-rank', () => {
    const hundred = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(hundred, 0.5), 50);
    assert.equal(percentile(hundred, 0.99), 99);
    assert.equal(percentile(hundred, 1), 100);
    assert.equal(percentile([7], 0.99), 7);
    assert.equal(percentile([1, 2], 0.5), 1);
    assert.equal(percentile([], 0.5), 0);
  });

  it('Timings sorts samples, sums time and derives ops/s from time inside the ops', () => {
    const t = new Timings(4);
    for (const ms of [4, 1, 3, 2]) t.record(ms);
    assert.deepEqual(t.summary(), { count: 4, totalMs: 10, opsPerSec: 400, p50Ms: 2, p99Ms: 4 });
    assert.throws(() => t.record(5), RangeError, 'capacity is fixed');
  });

  it('Timings.time measures an awaited call', async () => {
    const t = new Timings(1);
    const value = await t.time(() => new Promise((resolve) => setTimeout(() => resolve('done'), 20)));
    assert.equal(value, 'done');
    assert.ok(t.summary().p50Ms >= 15, `measured ${t.summary().p50Ms} ms`);
  });
});

describe('bench blobs', () => {
  it('makes blobs of the asked size whose ids all differ, even at 1 byte', () => {
    for (const size of [1, 2, 7, 1024]) {
      const source = new BlobSource(size);
      const ids = new Set<string>();
      const n = Math.min(distinctBlobCapacity(size), 2000);
      for (let i = 0; i < n; i++) {
        const data = source.next();
        assert.equal(data.byteLength, size);
        ids.add(hashObject('blob', data));
      }
      assert.equal(ids.size, n, `size ${size}`);
    }
  });

  it('refuses to repeat a blob once the distinct ones of that size are used up', () => {
    const source = new BlobSource(1);
    for (let i = 0; i < 256; i++) source.next();
    assert.throws(() => source.next(), /more than 256 distinct blobs/);
  });

  it('two runs make different blobs (random beyond the counter)', () => {
    assert.notDeepEqual(new BlobSource(64).next(), new BlobSource(64).next());
  });
});

describe('IdList', () => {
  it('gives back the hex ids pushed, SHA-1 or SHA-256, growing past its first capacity, and refuses malformed ones', () => {
    const sha1 = new IdList(2);
    const a = hashObject('blob', Buffer.from('a'));
    const b = hashObject('blob', Buffer.from('b'));
    sha1.push(a);
    sha1.push(b);
    assert.deepEqual([sha1.length, sha1.at(0), sha1.at(1)], [2, a, b]);
    assert.equal(sha1.push(a), 2, 'a third id grows the list');
    assert.deepEqual([sha1.length, sha1.at(0), sha1.at(1), sha1.at(2)], [3, a, b, a]);
    assert.throws(() => sha1.at(3), RangeError);
    const sha256 = new IdList(1);
    const c = hashObject('blob', Buffer.from('c'), 'sha256');
    sha256.push(c);
    assert.equal(sha256.at(0), c);
    const bad = new IdList(3);
    bad.push(a);
    assert.throws(() => bad.push('zz'.repeat(20)), /hex id/);
    assert.throws(() => bad.push(c), /hex id/);
  });
});

describe('bench plan', () => {
  it('op counts scale from --objects, with caps on the slow phases', () => {
    assert.deepEqual(opCounts(100_000), {
      put: 100_000,
      get: 100_000,
      has: 100_000,
      batch_put_1000: 100,
      list: 1000,
      ref_cas: 10_000,
      metadata_query: 10_000,
      transaction: 10_000,
    });
    assert.deepEqual(opCounts(1), { put: 1, get: 1, has: 1, batch_put_1000: 1, list: 1, ref_cas: 1, metadata_query: 1, transaction: 1 });
    assert.equal(blobsNeeded(1), 1 + 1000 + 1);
  });

  it('targets come from the plan; get is the cache target only on the memory store', () => {
    assert.equal(planTargetMs('put', 'sqlite'), 1);
    assert.equal(planTargetMs('get', 'memory'), 0.5);
    assert.equal(planTargetMs('get', 'sqlite'), 5);
    assert.equal(planTargetMs('batch_put_1000', 'sqlite'), 100);
    assert.equal(planTargetMs('metadata_query', 'sqlite'), 10);
    assert.equal(planTargetMs('transaction', 'sqlite'), 50);
    for (const op of ['has', 'list', 'ref_cas'] as const) assert.equal(planTargetMs(op, 'sqlite'), null);
  });

  it('toJson has exactly the documented keys and rounds', () => {
    const json = toJson({
      store: 'memory',
      objects: 5,
      size: 9,
      results: [{ op: 'put', count: 5, opsPerSec: 1234.5678, p50Ms: 0.123456, p99Ms: 1.5, targetMs: 1 }],
    });
    assert.deepEqual(json, { store: 'memory', objects: 5, size: 9, results: [{ op: 'put', ops_per_sec: 1234.6, p50_ms: 0.1235, p99_ms: 1.5, target_ms: 1 }] });
  });

  it('redactUri hides passwords only', () => {
    assert.equal(redactUri('postgres://bob:pw@host:5432/db'), 'postgres://bob:***@host:5432/db');
    assert.equal(redactUri('postgres://bob@host/db'), 'postgres://bob@host/db');
    assert.equal(redactUri('sqlite://./data/govc.db'), 'sqlite://./data/govc.db');
    assert.equal(redactUri('not a uri'), 'not a uri');
  });
});

describe('store failure messages', () => {
  it('splitCheck moves a store\'s "; check ..." advice to its own line', () => {
    assert.deepEqual(splitCheck('cannot reach X (ECONNREFUSED); check that the server is running'), {
      reason: 'cannot reach X (ECONNREFUSED)',
      check: 'that the server is running',
    });
    assert.deepEqual(splitCheck('cannot connect: closed.. Check that the server is up.'), { reason: 'cannot connect: closed.', check: 'that the server is up' });
    assert.deepEqual(splitCheck('disk full'), { reason: 'disk full' });
  });

  it('describeFailure keeps the code, hides passwords and falls back to a hint by code', () => {
    const f = describeFailure('postgres://u:pw@h/db', new ConnectionError('refused; check the port'));
    assert.deepEqual([f.uri, f.code, f.reason, f.hint], ['postgres://u:***@h/db', 'CONNECTION', 'refused', 'the port']);
    assert.match(f.tried, /as a postgres store/);
    const c = describeFailure('x://', new ConfigError('bad'));
    assert.equal(c.code, 'CONFIG');
    assert.match(c.hint, /Known types: .*memory/);
    const raw = describeFailure('sqlite://./x', new Error('SQLITE_CANTOPEN'));
    assert.equal(raw.code, 'CONNECTION', 'errors from a driver that are not DataStoreErrors count as connection failures');
    assert.equal(describeFailure('junk', new ConfigError('bad')).tried, 'reading "junk" as a store URI');
  });
});

describe('runBench', () => {
  function recordingProgress(): Progress & { phases: Array<[string, number, number]> } {
    const phases: Array<[string, number, number]> = [];
    return {
      phases,
      phase(name, total) {
        phases.push([name, total, 0]);
      },
      tick(n = 1) {
        phases[phases.length - 1][2] += n;
      },
      stop() {},
    };
  }

  it('measures every op on the memory store, reports progress per phase, and removes its repositories', async () => {
    const store = await createStore('memory://');
    try {
      const progress = recordingProgress();
      const report = await runBench(store, { objects: 150, size: 40 }, progress);
      assert.equal(report.store, 'memory');
      assert.deepEqual(
        report.results.map((r) => r.op),
        [...BENCH_OPS],
      );
      const counts = opCounts(150);
      for (const r of report.results) {
        assert.equal(r.count, counts[r.op], r.op);
        assert.ok(r.opsPerSec! > 0 && r.p50Ms! >= 0 && r.p99Ms! >= r.p50Ms!, r.op);
      }
      assert.deepEqual(
        progress.phases,
        BENCH_OPS.map((op) => [op, counts[op], counts[op]]),
      );
      const metrics = await store.metrics();
      assert.equal(metrics.objectCount, blobsNeeded(150), 'every written blob is distinct');
      assert.deepEqual((await store.listRepositories()).items, []);
    } finally {
      await store.close();
    }
  });

  it('fails, rather than reporting a speed, when the store returns wrong data', async () => {
    const store = await createStore('memory://');
    try {
      store.getObject = async () => undefined;
      await assert.rejects(runBench(store, { objects: 20, size: 8 }), /did not return the 8-byte blob/);
      assert.deepEqual((await store.listRepositories()).items, [], 'cleans up after a failure too');
    } finally {
      await store.close();
    }
  });

  it('fails when a compare-and-swap does not compare', async () => {
    const store = await createStore('memory://');
    try {
      const real = store.updateRefs.bind(store);
      store.updateRefs = (repo, updates) => real(repo, updates.map((u) => ({ ...u, old: undefined })));
      await assert.rejects(runBench(store, { objects: 20, size: 8 }), /stale old value was not refused/);
    } finally {
      await store.close();
    }
  });

  it('fails when a compare-and-swap silently does not move the ref', async () => {
    const store = await createStore('memory://');
    try {
      const real = store.updateRefs.bind(store);
      let calls = 0;
      store.updateRefs = async (repo, updates) => {
        if (++calls <= 1) return real(repo, updates); // the branch is created, then never moves
      };
      await assert.rejects(runBench(store, { objects: 20, size: 8 }), /compare-and-swaps refs\/heads\/main is/);
    } finally {
      await store.close();
    }
  });

  it('skips the transaction op, with a reason, on a store without transactions', async () => {
    const store = await createStore('memory://');
    try {
      Object.defineProperty(store, 'capabilities', { value: { ...store.capabilities, transactions: false } });
      const report = await runBench(store, { objects: 10, size: 8 });
      const tx = report.results.find((r) => r.op === 'transaction')!;
      assert.equal(tx.opsPerSec, null);
      assert.match(tx.skipped!, /no transactions/);
      assert.ok(report.results.find((r) => r.op === 'metadata_query')!.opsPerSec! > 0, 'events are logged without a transaction');
    } finally {
      await store.close();
    }
  });

  it('no progress bar when stderr is not a terminal', () => {
    assert.equal(terminalProgress({ isTTY: false } as NodeJS.WriteStream), silentProgress);
  });
});
