/** bench/compare.ts: govc's bench beside the raw driver in one run, spawned as built. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runNodeScript } from '../../support/govc.js';

const COMPARE = fileURLToPath(new URL('../../bench/compare.js', import.meta.url));
const OPS = ['put', 'get', 'has', 'batch_put_1000', 'list', 'ref_cas', 'metadata_query', 'transaction'];

const compare = (...args: string[]) => runNodeScript(COMPARE, args, { timeoutMs: 120_000 });

describe('bench/compare', () => {
  const dir = mkdtempSync(join(tmpdir(), 'govc-compare-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs govc and the raw sqlite baseline in one run and gives a ratio for every op', async () => {
    const r = await compare('--store', `sqlite://${join(dir, 'bench.db')}`, '--objects', '200', '--size', '64', '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.store, 'sqlite');
    assert.deepEqual(out.results.map((x: { op: string }) => x.op), OPS);
    assert.deepEqual(out.baseline.map((x: { op: string }) => x.op), OPS);
    for (const x of out.ratios) {
      assert.ok(Number.isFinite(x.mean_time_ratio) && x.mean_time_ratio > 0, `${x.op} mean_time_ratio ${x.mean_time_ratio}`);
      assert.ok(Number.isFinite(x.p50_ratio) && x.p50_ratio > 0, `${x.op} p50_ratio ${x.p50_ratio}`);
    }
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('govc-baseline-')), [], 'the baseline removes its database');
  });

  it('says so, and still benches govc, when a store type has no baseline', async () => {
    const r = await compare('--store', 'memory://', '--objects', '50', '--size', '32');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /baseline: none; no raw baseline for memory \(bench\/baselines\/memory-raw\.ts does not exist\)/);
    assert.match(r.stdout, /^put\s+[\d,.]+\s+-\s+-/m);
  });

  it('refuses bad arguments and unusable stores like the CLI', async () => {
    const bad = await compare('--store', 'memory://', '--objects', 'zero');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--objects must be a positive whole number/);
    const unknown = await compare('--store', 'nosuch://x', '--objects', '10');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /cannot use store nosuch:\/\/x[\s\S]*check: /);
  });
});
