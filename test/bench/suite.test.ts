/**
 * govc bench end to end at a tiny size on real stores (memory and sqlite):
 * the JSON has every benchmark on every store, the report writes valid SVG
 * charts and Markdown linking them, and --compare catches an injected
 * regression. Nothing here asserts a speed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SUITE_BENCHMARKS } from '../../src/bench/suite/names.js';
import type { SuiteJson } from '../../src/bench/suite/result.js';
import { parseSizes } from '../../src/bench/suite/sizes.js';
import { runGovc } from '../../support/govc.js';
import { svgProblems } from './svg-check.js';

const govc = (...args: string[]) => runGovc(args, { timeoutMs: 240_000 });

describe('govc bench', () => {
  const dir = mkdtempSync(join(tmpdir(), 'govc-bench-suite-'));
  const results = join(dir, 'out', 'results.json');
  let doc: SuiteJson;
  let runError: string | undefined;
  after(() => rmSync(dir, { recursive: true, force: true }));
  before(async () => {
    const r = await govc('bench', '--stores', `memory://,sqlite://${join(dir, 'bench.db')}`, '--size', 'tiny', '--out', join(dir, 'out'));
    if (r.code !== 0) runError = `exit ${r.code}: ${r.stderr}`;
    else doc = JSON.parse(readFileSync(results, 'utf8'));
  });

  it('runs every benchmark on every store and writes them all to its JSON', () => {
    assert.equal(runError, undefined);
    assert.deepEqual(doc.stores, ['memory://', `sqlite://${join(dir, 'bench.db')}`]);
    for (const store of ['memory', 'sqlite']) {
      const rows = doc.results.filter((r) => r.store === store);
      assert.deepEqual([...new Set(rows.map((r) => r.name))].sort(), [...SUITE_BENCHMARKS].sort(), store);
      for (const r of rows) {
        assert.equal(r.failed, undefined, `${store} ${r.name}`);
        if (r.skipped) continue;
        assert.ok(r.count > 0 && r.opsPerSec! > 0 && r.p50Ms! >= 0 && r.p99Ms! >= r.p50Ms!, `${store} ${r.name}: ${JSON.stringify(r)}`);
        assert.equal(r.errors ?? 0, 0, `${store} ${r.name} had errors: ${r.note}`);
      }
      for (const name of ['parallel_write', 'parallel_read']) assert.deepEqual(rows.filter((r) => r.name === name).map((r) => r.workers), [1, 2], `${store} ${name}`);
      assert.deepEqual(rows.filter((r) => r.name === 'http_rest_read').map((r) => r.workers), [1, 2]);
    }
    // Only memory lacks a cold read, and it says why.
    assert.deepEqual(doc.results.filter((r) => r.skipped).map((r) => `${r.store} ${r.name}`), ['memory object_read_cold']);
    assert.equal(doc.results.find((r) => r.store === 'sqlite' && r.name === 'parallel_read')?.mode, 'threads');
    assert.equal(doc.results.find((r) => r.name === 'object_write')?.targetMs, 1);
  });

  it('writes a Markdown report that links valid SVG charts', async () => {
    assert.equal(runError, undefined);
    const docs = join(dir, 'docs');
    const r = await govc('bench', 'report', '--input', results, '--out', docs);
    assert.equal(r.code, 0, r.stderr);
    const md = readFileSync(join(docs, 'benchmarks.md'), 'utf8');
    assert.match(md, /^# govc benchmarks/);
    assert.ok(md.includes(doc.command), 'the Markdown names the command that made the results');
    const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map((m) => m[1]);
    for (const chart of ['objects-vs-target', 'objects-distribution', 'metadata-vs-target', 'history-latency', 'parallel-throughput', 'parallel-p99', 'server-throughput']) {
      assert.ok(links.includes(`benchmarks/${chart}.svg`), `${chart} is linked`);
    }
    for (const link of links) {
      const path = join(docs, link);
      assert.ok(existsSync(path), `${link} exists`);
      const svg = readFileSync(path, 'utf8');
      assert.equal(svgProblems(svg), undefined, link);
      assert.match(svg, /sqlite/, `${link} labels the stores`);
    }
    assert.match(md, /\| object_write \| sqlite \| [\d,]+ \|/);
  });

  it('--compare flags an injected regression and exits 1, and passes a run against itself', async () => {
    assert.equal(runError, undefined);
    const slower: SuiteJson = JSON.parse(JSON.stringify(doc));
    const victim = slower.results.find((r) => r.store === 'sqlite' && r.name === 'object_read_warm')!;
    victim.p50Ms = victim.p50Ms! * 10;
    const newer = join(dir, 'newer.json');
    writeFileSync(newer, JSON.stringify(slower));
    const same = await govc('bench', 'report', '--compare', results, results);
    assert.equal(same.code, 0, same.stdout + same.stderr);
    assert.match(same.stdout, /no regression past the threshold/);
    const r = await govc('bench', 'report', '--compare', results, newer, '--threshold', '2');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const flagged = r.stdout.split('\n').filter((l) => l.includes('REGRESSION'));
    assert.deepEqual(flagged.map((l) => l.split(/\s+/)[0]), ['sqlite/objects/object_read_warm']);
    assert.match(r.stdout, /1 regression past the threshold/);
  });

  it('refuses unknown benchmarks, sizes and inputs with a message saying what exists', async () => {
    const only = await govc('bench', '--stores', 'memory://', '--only', 'nosuch');
    assert.equal(only.code, 1);
    assert.match(only.stderr, /--only nosuch: no such group or benchmark; groups: objects, metadata/);
    assert.throws(() => parseSizes('huge'), /--size must be one of tiny, moderate, full/);
    assert.throws(() => parseSizes('tiny', ['commits=0']), /--set commits must be at least 1/);
    assert.throws(() => parseSizes('tiny', ['nope=1']), /--set takes name=value with name one of objects/);
    const input = await govc('bench', 'report', '--input', join(dir, 'missing.json'), '--out', join(dir, 'x'));
    assert.equal(input.code, 1);
    assert.match(input.stderr, /cannot read .*missing\.json as govc bench JSON/);
  });
});
