/**
 * govc datastore export / import / verify as the built CLI: a round trip
 * between stores with JSON summaries, then archives damaged in each way
 * (a flipped byte, cut short, no manifest, a wrong version, a record a
 * store refuses, a manifest that disagrees): each refused with a message
 * naming the first bad record, and nothing written to the target.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { encodeRecord } from '../../src/datastore/migration/archive/codec.js';
import { withStore } from '../support/with-store.js';
import { govc } from './cli.js';
import { populate, TestStores } from './stores.js';

const stores = new TestStores();
after(() => stores.cleanup());

/** Rewrites an archive's tar entries: `edit` returns new bytes, or null to drop the entry. */
async function rewrite(from: string, to: string, edit: (name: string, data: Buffer) => Buffer | null): Promise<void> {
  const extract = tar.extract();
  const pack = tar.pack();
  const out: Buffer[] = [];
  pack.on('data', (d) => out.push(d as Buffer));
  const finished = new Promise<void>((r) => pack.on('end', () => r()));
  extract.end(gunzipSync(readFileSync(from)));
  for await (const entry of extract) {
    const parts: Buffer[] = [];
    for await (const p of entry) parts.push(p as Buffer);
    const data = edit(entry.header.name, Buffer.concat(parts));
    if (data) await new Promise<void>((resolve, reject) => pack.entry({ name: entry.header.name, size: data.length }, data, (e) => (e ? reject(e) : resolve())));
  }
  pack.finalize();
  await finished;
  writeFileSync(to, gzipSync(Buffer.concat(out)));
}

/** The target is as it was: nothing imported. */
async function assertEmpty(uri: string): Promise<void> {
  await withStore(uri, async (store) => {
    assert.equal((await store.metrics()).objectCount, 0);
    assert.equal((await store.listRepositories()).items.length, 0);
    assert.equal(await store.countEvents(), 0);
  });
}

describe('govc datastore export and import', () => {
  let sourceUri: string;
  let archive: string;
  let records: number;

  before(async () => {
    sourceUri = await stores.uri('sqlite');
    await withStore(sourceUri, (s) => populate(s, 3, 'cli'));
    archive = stores.file('cli.tar.gz');
    const r = await govc('datastore', 'export', '--source', sourceUri, '--output', archive, '--json');
    assert.equal(r.status, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.counts.object, 76);
    assert.equal(summary.counts.event, 30);
    records = summary.records;
  });

  it('imports into another store, which then verifies equal; a second import writes nothing more', async () => {
    const target = await stores.uri('lmdb');
    const r = await govc('datastore', 'import', '--target', target, '--input', archive, '--json', '--batch-size', '13');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).written, records);
    const v = await govc('datastore', 'verify', '--source', sourceUri, '--target', target);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^equal: compared 76 objects/m);
    const again = await govc('datastore', 'import', '--target', target, '--input', archive, '--json');
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).written, 0, 'the completed checkpoint says everything is in');
  });

  it('refuses an archive with a damaged record, naming it, and writes nothing', async () => {
    const bad = stores.file('flipped.tar.gz');
    await rewrite(archive, bad, (name, data) => {
      if (name === 'records/000001.rec') data[Math.floor(data.length / 2)] ^= 0x40;
      return data;
    });
    const target = await stores.uri('sqlite');
    const r = await govc('datastore', 'import', '--target', target, '--input', bad);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /record \d+ \(number \d+ in records\/000001\.rec, after record \d+ \(.+\)\) is damaged: its checksum does not match/);
    await assertEmpty(target);
  });

  it('refuses a truncated archive, saying where it stops', async () => {
    const cut = stores.file('cut.tar.gz');
    const bytes = readFileSync(archive);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const target = await stores.uri('sqlite');
    const r = await govc('datastore', 'import', '--target', target, '--input', cut);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /is damaged or truncated (after record \d+ \(.+\)|before its first record): unexpected end of file/);
    await assertEmpty(target);
  });

  it('refuses an archive without its manifest, one of another version, and one whose manifest disagrees', async () => {
    const cases: Array<[string, (name: string, data: Buffer) => Buffer | null, RegExp]> = [
      ['nomanifest', (name, d) => (name === 'manifest.json' ? null : d), /ends after record \d+ .* without its manifest: it is truncated/],
      ['version', (name, d) => (name === 'govc-archive.json' ? Buffer.from(d.toString().replace('"version": 1', '"version": 9')) : d), /of version 9; this govc reads version 1/],
      ['counts', (name, d) => (name === 'manifest.json' ? Buffer.from(d.toString().replace(/"event": \d+/, '"event": 2')) : d), /holds 30 event records, its manifest counts 2/],
    ];
    const target = await stores.uri('sqlite');
    for (const [tag, edit, message] of cases) {
      const bad = stores.file(`${tag}.tar.gz`);
      await rewrite(archive, bad, edit);
      const r = await govc('datastore', 'import', '--target', target, '--input', bad);
      assert.equal(r.status, 1, tag);
      assert.match(r.stderr, message, tag);
    }
    await assertEmpty(target);
  });

  it('refuses a well-formed record the store would refuse (a bad ref name), naming it', async () => {
    const bad = stores.file('badref.tar.gz');
    await rewrite(archive, bad, (name, data) => {
      if (name !== 'records/000001.rec') return data;
      const frame = encodeRecord({ kind: 'ref', repositoryId: 'r', ref: { name: 'refs/heads/bad..name', type: 'direct', target: 'a'.repeat(40) } });
      return Buffer.concat([frame, data]);
    });
    // the manifest's checksums no longer match either; the record is named first
    const r = await govc('datastore', 'import', '--target', await stores.uri('sqlite'), '--input', bad);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /record 1 \(ref refs\/heads\/bad\.\.name of repository r\) is refused: .*ref/i);
  });

  it('refuses a file that is not an archive', async () => {
    const junk = stores.file('junk.tar.gz');
    writeFileSync(junk, 'not an archive at all');
    const r = await govc('datastore', 'import', '--target', await stores.uri('sqlite'), '--input', junk);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /damaged or truncated before its first record: incorrect header check/);
  });
});
