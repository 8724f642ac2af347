/** `govc datastore check|bench`, run as the built CLI in a child process. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { CLI as MAIN } from '../../support/govc.js';


interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI; a run that hangs is killed after `timeoutMs` (status null) instead of hanging the suite. */
function govcWithin(timeoutMs: number, ...args: string[]): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function govc(...args: string[]): Promise<Result> {
  return govcWithin(60_000, ...args);
}

const OPS = ['put', 'get', 'has', 'batch_put_1000', 'list', 'ref_cas', 'metadata_query', 'transaction'];

/** The parts every "cannot use this store" message has. */
function assertExplainedFailure(r: Result, uri: string): void {
  assert.equal(r.status, 1, `exit status; stderr: ${r.stderr}`);
  assert.match(r.stderr, new RegExp(`cannot use store ${uri.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  assert.match(r.stderr, /tried: /);
  assert.match(r.stderr, /error: .+\[[A-Z_]+\]/);
  assert.match(r.stderr, /check: \S+/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
}

describe('govc CLI: help', () => {
  it('govc --help lists the datastore commands', async () => {
    const r = await govc('--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, /Usage: govc/);
    assert.match(r.stdout, /datastore/);
  });

  it('govc datastore bench --help names every op and the options', async () => {
    const r = await govc('datastore', 'bench', '--help');
    assert.equal(r.status, 0);
    for (const op of OPS) assert.match(r.stdout, new RegExp(`^\\s+${op}\\s`, 'm'));
    for (const option of ['--store', '--objects', '--size', '--json']) assert.ok(r.stdout.includes(option), option);
  });
});

describe('govc datastore check', () => {
  it('on memory:// prints health and capabilities and exits 0', async () => {
    const r = await govc('datastore', 'check', '--store', 'memory://');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^store\s+memory \(memory:\/\/\)$/m);
    assert.match(r.stdout, /^health\s+ok, \d+\.\d+ ms$/m);
    assert.match(r.stdout, /^\s+transactions\s+yes/m);
    assert.match(r.stdout, /^\s+persistent\s+no$/m);
  });

  it('--json prints one object with health, latency and capabilities', async () => {
    const r = await govc('datastore', 'check', '--store', 'memory://', '--json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.store, 'memory');
    assert.equal(out.healthy, true);
    assert.equal(typeof out.latency_ms, 'number');
    assert.equal(out.details.type, 'memory');
    assert.equal(out.capabilities.transactions, true);
    assert.equal(out.objects, 0);
  });

  it('a sqlite file where none can be created exits 1 and says what to check', async () => {
    const uri = 'sqlite:///etc/passwd/govc.db'; // its directory is a file (root may write anywhere else)
    const r = await govc('datastore', 'check', '--store', uri);
    assertExplainedFailure(r, uri);
    assert.match(r.stderr, /\[CONNECTION\]/);
  });

  it('a sqlite path under /proc exits 1 instead of hanging', async () => {
    const uri = 'sqlite:///proc/no-such-dir/govc.db';
    assertExplainedFailure(await govcWithin(8_000, 'datastore', 'check', '--store', uri), uri);
  });

  it('an unreachable server exits 1, says what to check and hides the password', async () => {
    const r = await govc('datastore', 'check', '--store', 'postgres://bob:s3cret@127.0.0.1:1/x');
    assertExplainedFailure(r, 'postgres://bob:***@127.0.0.1:1/x');
    assert.doesNotMatch(r.stderr, /s3cret/);
  });

  it('a server that accepts but never answers fails after --timeout instead of hanging', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket)); // reads nothing, answers nothing
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const started = Date.now();
      const uri = `postgres://u@127.0.0.1:${port}/x`;
      const r = await govc('datastore', 'check', '--store', uri, '--timeout', '1000');
      assertExplainedFailure(r, uri);
      assert.ok(Date.now() - started < 20_000, `took ${Date.now() - started} ms`);
      assert.match(r.stderr, /TIMEOUT|CONNECTION/);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it('--json on a failure prints the failure as JSON and still exits 1', async () => {
    const r = await govc('datastore', 'check', '--store', 'nosuchtype://x', '--json');
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout);
    assert.equal(out.healthy, false);
    assert.equal(out.code, 'CONFIG');
    assert.match(out.check, /Known types: .*memory/);
  });

  it('a malformed URI exits 1 and shows the expected shape', async () => {
    const r = await govc('datastore', 'check', '--store', 'not a uri');
    assertExplainedFailure(r, 'not a uri');
    assert.match(r.stderr, /<type>:\/\/<connection>/);
  });

  it('an unknown store type lists the known ones', async () => {
    const r = await govc('datastore', 'check', '--store', 'nosuchtype://x');
    assertExplainedFailure(r, 'nosuchtype://x');
    assert.match(r.stderr, /known types: .*memory.*sqlite/);
  });

  it('a Go-only type names its TypeScript counterpart', async () => {
    const r = await govc('datastore', 'check', '--store', 'badger://./x');
    assertExplainedFailure(r, 'badger://./x');
    assert.match(r.stderr, /rocksdb/);
  });

});

describe('govc datastore bench', () => {
  it('--json on memory:// prints exactly one object with all 8 ops', async () => {
    const r = await govc('datastore', 'bench', '--store', 'memory://', '--objects', '200', '--size', '64', '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stderr, '', 'no progress bar when stderr is not a terminal');
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one line of output');
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out), ['store', 'objects', 'size', 'results']);
    assert.equal(out.store, 'memory');
    assert.equal(out.objects, 200);
    assert.equal(out.size, 64);
    assert.deepEqual(
      out.results.map((x: { op: string }) => x.op),
      OPS,
    );
    for (const result of out.results) {
      assert.deepEqual(Object.keys(result), ['op', 'ops_per_sec', 'p50_ms', 'p99_ms', 'target_ms']);
      for (const key of ['ops_per_sec', 'p50_ms', 'p99_ms']) {
        assert.equal(typeof result[key], 'number', `${result.op}.${key}`);
        assert.ok(Number.isFinite(result[key]) && result[key] >= 0, `${result.op}.${key} = ${result[key]}`);
      }
      assert.ok(result.ops_per_sec > 0, `${result.op} ops_per_sec`);
      assert.ok(result.p50_ms <= result.p99_ms, `${result.op}: p50 <= p99`);
    }
    const targets = Object.fromEntries(out.results.map((x: { op: string; target_ms: number | null }) => [x.op, x.target_ms]));
    assert.deepEqual(targets, { put: 1, get: 0.5, has: null, batch_put_1000: 100, list: null, ref_cas: null, metadata_query: 10, transaction: 50 });
  });

  it('prints a table with each op, its figures and the target', async () => {
    const r = await govc('datastore', 'bench', '--store', 'memory://', '--objects', '100', '--size', '32');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^op\s+count\s+ops\/s\s+p50 ms\s+p99 ms\s+target ms/m);
    for (const op of OPS) assert.match(r.stdout, new RegExp(`^${op}\\s+[\\d,]+\\s+[\\d,.]+\\s+\\d`, 'm'));
    assert.match(r.stdout, /^put\s.*< 1\s/m);
  });

  for (const [args, pattern] of [
    [['--objects', '0'], /--objects must be at least 1/],
    [['--objects', 'abc'], /--objects must be a positive whole number/],
    [['--objects', '1.5'], /--objects must be a positive whole number/],
    [['--objects', '-3'], /--objects must be a positive whole number/],
    [['--objects', '99999999999'], /--objects must be at most/],
    [['--size', '0'], /--size must be at least 1/],
    [['--size', '4000000'], /--size must be at most/],
    [['--objects', '300', '--size', '1'], /only 256 distinct blobs of 1 bytes/],
  ] as Array<[string[], RegExp]>) {
    it(`refuses ${args.join(' ')}`, async () => {
      const r = await govc('datastore', 'bench', '--store', 'memory://', ...args);
      assert.equal(r.status, 1);
      assert.match(r.stderr, pattern);
      assert.equal(r.stdout, '');
    });
  }

  it('a bad URI gives the same explained failure as check', async () => {
    const r = await govc('datastore', 'bench', '--store', 'nosuchtype://x', '--objects', '10');
    assertExplainedFailure(r, 'nosuchtype://x');
  });
});
