/** ServerMetrics in-process: per-server registries, store figures read once per scrape, a store that does not answer. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createStore } from '../../src/datastore/builtin.js';
import type { DataStore } from '../../src/datastore/store.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { sample } from '../support/server.js';

describe('ServerMetrics', () => {
  let store: DataStore;
  before(async () => {
    store = await createStore('memory://');
  });
  after(async () => {
    await store.close();
  });

  it('keeps each server its own registry, so two in one process neither collide nor share counts', async () => {
    const a = new ServerMetrics(store);
    const b = new ServerMetrics(store);
    a.requests.inc({ route: 'health', method: 'GET', status: '200' });
    a.packBytes.inc({ direction: 'sent' }, 100);
    b.packBytes.inc({ direction: 'sent' }, 7);
    const [ta, tb] = [await a.render(), await b.render()];
    assert.equal(sample(ta, 'govc_http_requests_total', { route: 'health', method: 'GET', status: '200' }), 1);
    assert.equal(sample(tb, 'govc_http_requests_total', { route: 'health', method: 'GET', status: '200' }), undefined);
    assert.equal(sample(ta, 'govc_git_pack_bytes_total', { direction: 'sent' }), 100);
    assert.equal(sample(tb, 'govc_git_pack_bytes_total', { direction: 'sent' }), 7);
    assert.equal(a.contentType, 'text/plain; version=0.0.4; charset=utf-8');
  });

  it('reads the store once per scrape and shows its current figures', async () => {
    const metrics = new ServerMetrics(store);
    const real = store.metrics.bind(store);
    let reads = 0;
    store.metrics = () => {
      reads++;
      return real();
    };
    try {
      const first = await metrics.render();
      assert.equal(reads, 1);
      assert.equal(sample(first, 'govc_store_up', { store: 'memory' }), 1);
      const objects = sample(first, 'govc_store_objects', { store: 'memory' })!;
      const writes = sample(first, 'govc_store_writes_total', { store: 'memory' })!;
      await store.putObject({ type: 'blob', data: Buffer.from(`scraped ${Date.now()}\n`) });
      const second = await metrics.render();
      assert.equal(reads, 2);
      assert.equal(sample(second, 'govc_store_objects', { store: 'memory' }), objects + 1);
      assert.equal(sample(second, 'govc_store_writes_total', { store: 'memory' }), writes + 1);
      for (const quantile of ['0.5', '0.95', '0.99', '1']) {
        assert.ok(sample(second, 'govc_store_latency_seconds', { store: 'memory', quantile })! >= 0, quantile);
      }
    } finally {
      store.metrics = real;
    }
  });

  it('says the store is down, and leaves out its figures, when it does not answer; recovers when it does', async () => {
    const metrics = new ServerMetrics(store);
    // Scraped once while up, so a figure left over from then would show.
    assert.equal(sample(await metrics.render(), 'govc_store_up', { store: 'memory' }), 1);
    const real = store.metrics.bind(store);
    store.metrics = () => Promise.reject(new Error('unreachable'));
    let down: string;
    try {
      down = await metrics.render();
    } finally {
      store.metrics = real;
    }
    assert.equal(sample(down, 'govc_store_up', { store: 'memory' }), 0);
    assert.equal(sample(down, 'govc_store_objects', { store: 'memory' }), undefined);
    assert.equal(sample(down, 'govc_store_reads_total', { store: 'memory' }), undefined);
    assert.equal(sample(down, 'govc_store_latency_seconds', { store: 'memory', quantile: '0.5' }), undefined);
    const up = await metrics.render();
    assert.equal(sample(up, 'govc_store_up', { store: 'memory' }), 1);
    assert.notEqual(sample(up, 'govc_store_objects', { store: 'memory' }), undefined);
  });
});
