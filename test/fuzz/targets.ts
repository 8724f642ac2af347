/**
 * The fuzz targets, shared by the fuzz tests and the regression tests. Each
 * `run` feeds one input to our parser and checks what a success returns.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { parseStoreUri, parseStoreYaml } from '../../src/datastore/config.js';
import type { GitObject } from '../../src/datastore/types.js';
import { applyDelta } from '../../src/datastore/objects/delta.js';
import { encodeEntryHeader, encodeOfsDeltaHeader, parseEntryHeader } from '../../src/git/pack/entry-header.js';
import { indexPackFile, type IndexPackOptions } from '../../src/git/pack/index-pack.js';
import { receivePack } from '../../src/git/pack/receive-pack.js';
import { parseServerYaml } from '../../src/server/config.js';
import { PktReader } from '../../src/git/protocol/pkt-line.js';
import { tempDir } from '../../support/temp-dir.js';
import { removeDir } from '../git/fixture.js';
import type { Target } from './fuzz.js';
import { mutate, type Rng } from './mutate.js';
import { referenceDelta } from './reference-delta.js';
import { mutatePack, withChecksum, writePack as writePackOf } from './pack-model.js';
import { makeSeeds } from './seeds.js';

const seeds = makeSeeds();
const packSeeds = Object.values(seeds.packs);

/** Thin-pack bases come from the seed repository. */
function packOptions(objects: Map<string, GitObject>): IndexPackOptions {
  return {
    format: 'sha1',
    externalBases: { admit: async (ids) => new Set(ids.filter((id) => objects.has(id))), read: async (id) => objects.get(id) },
  };
}

/** Half structural (consistent framing, mutated entries), half raw bytes (usually with a valid checksum). */
function generatePack(seed: Buffer, rng: Rng): Buffer {
  if (rng.next() < 0.5) {
    let model = seeds.models[packSeeds.indexOf(seed)];
    for (let n = 1 + rng.int(3); n > 0; n--) model = mutatePack(model, rng);
    return writePackOf(model);
  }
  const bytes = mutate(seed, rng, packSeeds);
  return rng.next() < 0.8 && bytes.length > 20 ? withChecksum(bytes.subarray(0, bytes.length - 20)) : bytes;
}


/** Splits an input into chunks as a network would, empty ones included. */
function chunks(input: Buffer, rng: Rng): Buffer[] {
  const out: Buffer[] = [];
  for (let pos = 0; pos < input.length; ) {
    const n = rng.int(4) === 0 ? 0 : 1 + rng.int(Math.min(input.length - pos, 300));
    out.push(input.subarray(pos, pos + n));
    pos += n;
  }
  return out;
}

const scratch = tempDir('govc-fuzz-pack-').path;
process.on('exit', () => removeDir(scratch));
let fileNo = 0;

export const indexPackTarget: Target = {
  name: 'indexPackFile',
  seeds: packSeeds,
  generate: generatePack,
  iterations: 700,
  async run(input) {
    const path = join(scratch, `in-${fileNo++ % 4}.pack`);
    writeFileSync(path, input);
    const pack = await indexPackFile(path, packOptions(seeds.objects));
    try {
      for (const e of pack.entries) await pack.reader.readAt(e.offset);
    } finally {
      await pack.reader.close();
    }
  },
};

export const receivePackTarget: Target = {
  name: 'receivePack',
  seeds: packSeeds,
  generate: generatePack,
  iterations: 400,
  async run(input, rng) {
    const pack = await receivePack(Readable.from(chunks(input, rng)), { ...packOptions(seeds.objects), tmpDir: scratch });
    try {
      for await (const o of pack.objects()) assert.ok(o.id.length === 40);
    } finally {
      await pack.close();
    }
  },
};

export const entryHeaderTarget: Target = {
  name: 'parseEntryHeader',
  seeds: [
    encodeEntryHeader('blob', 0),
    encodeEntryHeader('commit', 300),
    encodeEntryHeader('tree', 2 ** 40),
    encodeOfsDeltaHeader(100, 1),
    encodeOfsDeltaHeader(70000, 999),
    Buffer.concat([Buffer.from([0x75]), Buffer.alloc(20, 0xab)]),
    ...packSeeds.map((p) => p.subarray(12, 60)),
  ],
  iterations: 20000,
  run(input) {
    const offset = 1000;
    const h = parseEntryHeader(input, offset, 20);
    assert.ok(Number.isSafeInteger(h.size) && h.size >= 0, `size ${h.size}`);
    assert.ok(h.headerLength > 0 && h.headerLength <= input.length, `header length ${h.headerLength} of ${input.length} bytes`);
    if (h.kind === 'ofs-delta') assert.ok(Number.isSafeInteger(h.baseOffset) && h.baseOffset >= 0 && h.baseOffset < offset, `base offset ${h.baseOffset}`);
    if (h.kind === 'ref-delta') assert.match(h.baseId, /^[0-9a-f]{40}$/);
  },
};

/** A delta input is framed as: 2-byte base length, base, delta. */
export function frameDelta(base: Buffer, delta: Buffer): Buffer {
  const len = Buffer.alloc(2);
  len.writeUInt16BE(Math.min(base.length, 0xffff));
  return Buffer.concat([len, base, delta]);
}

export const deltaTarget: Target = {
  name: 'applyDelta',
  seeds: seeds.deltas.map((d) => frameDelta(d.base, d.delta)),
  iterations: 20000,
  generate(seed, rng) {
    const n = seed.readUInt16BE(0);
    const base = seed.subarray(2, 2 + n);
    const delta = seed.subarray(2 + n);
    const others = seeds.deltas.map((d) => d.delta);
    return rng.next() < 0.9 ? frameDelta(base, mutate(delta, rng, others)) : frameDelta(mutate(base, rng, others), delta);
  },
  run(input) {
    const n = input.length >= 2 ? input.readUInt16BE(0) : 0;
    const [base, delta] = [input.subarray(2, 2 + n), input.subarray(2 + n)];
    const expected = referenceDelta(base, delta);
    let actual: Buffer;
    try {
      actual = applyDelta(base, delta);
    } catch (err) {
      if (typeof expected !== 'string') assert.fail(`refused a valid delta: ${(err as Error).message}`);
      throw err;
    }
    // Success must mean a valid delta and its exact result (not, say, uninitialised memory).
    assert.ok(typeof expected !== 'string', `accepted an invalid delta (${expected}), returned ${actual.length} bytes`);
    assert.ok(actual.equals(expected), 'result differs from the reference');
  },
};

const ascii = (xs: string[]) => xs.map((x) => Buffer.from(x, 'latin1'));

export const pktLineTarget: Target = {
  name: 'PktReader',
  seeds: ascii([
    '0032want 1234567890abcdef1234567890abcdef12345678\n00000009done\n',
    '0014command=ls-refs\n0001000bsymrefs0000',
    '0016command=fetch\n00010009thin-pack0032want 1234567890abcdef1234567890abcdef12345678\n0000',
    '00770000000000000000000000000000000000000000 1234567890abcdef1234567890abcdef12345678 refs/heads/main\0report-status\n0000PACK\0\0\0\x02\0\0\0\0',
    '',
    '0004',
  ]),
  dictionary: ascii(['0000', '0001', '0002', '0003', '0004', '0005', 'fff0', 'fff4', 'ffff', 'FFFF', '000g', '-001', ' 0x1', 'PACK']),
  iterations: 10000,
  async run(input, rng) {
    const reader = new PktReader(Readable.from(chunks(input, rng)));
    for (let lines = 0; ; lines++) {
      assert.ok(lines <= input.length, 'more lines than input bytes');
      const line = rng.next() < 0.2 ? await reader.readText() : await reader.read();
      if (line === undefined) break;
      if (typeof line === 'object' && line && line.kind === 'data') assert.ok(line.data.length <= 0xffff - 4);
      if (rng.next() < 0.05) break; // hand over to rest(), like receive-pack does before the pack
    }
    let rest = 0;
    for await (const b of reader.rest()) rest += b.length;
    assert.ok(rest <= input.length);
  },
};

const NETWORK = new Set(['postgres', 'cockroach', 'redis']);

export const storeUriTarget: Target = {
  name: 'parseStoreUri',
  seeds: ascii([
    'memory://',
    'sqlite://./data/govc.db?journal_mode=WAL&synchronous=FULL',
    'sqlite:///abs/path%20x.db',
    'postgres://user:password@host:5432/database?schema=govc&pool_size=20&ssl_mode=verify-full',
    'postgresql://govc:pw@db.example.com:5432/govc?pool_size=25',
    'redis://127.0.0.1:7000?cluster=true&nodes=127.0.0.1:7001&wait_replicas=1',
    'rediss://u:p@[::1]:6380',
    'lmdb://./data/lmdb?compression=lz4&compression_threshold=1KB',
  ]),
  dictionary: ascii(['%', '%2', '%zz', '%ff', '%00', '%ED%A0%80', '@', ':', '://', '//', '?', '&', '=', '#', '[', ']', '[::1]', ':99999', 'postgres', 'redis', 'sqlite', '\\', ' ']),
  codes: ['CONFIG'],
  iterations: 20000,
  run(input) {
    const c = parseStoreUri(input.toString('utf8'), NETWORK);
    assert.equal(typeof c.type, 'string');
    assert.equal(typeof c.connection, 'string');
  },
};

const yamlSeeds = ascii([
  'datastore:\n  type: sqlite\n  connection: ./data/govc.db\n  options:\n    journal_mode: WAL\n',
  'datastore: {type: redis, connection: redis://host:6379, options: {cluster: true, prefix: govc, wait_replicas: 1}}\n',
  'datastore: {type: postgres, connection: postgres://govc@db/govc}\nserver:\n  host: 0.0.0.0\n  port: 8080\n  auth: {anonymous_read: true}\n  shutdown_timeout_ms: 30000\n',
  'type: memory\noptions:\n  max_size: 512MB\n',
]);
const yamlDictionary = ascii(['&a ', '*a', '<<: ', '<<: *a', '!!binary ', '!!map ', '!!str ', '!!int ', '!!float ', '!!set ', '!!omap ', '? ', '{', '}', '[', ']', '- ', ': ', '\n  ', '\t', '__proto__', 'constructor', 'datastore', 'server', 'port', '"\\u0000"', '%YAML 1.1\n', '---\n', '...\n', '|', '>', '!', '0x', '1e999', '.inf', '#']);

export const storeYamlTarget: Target = {
  name: 'parseStoreYaml',
  seeds: yamlSeeds,
  dictionary: yamlDictionary,
  codes: ['CONFIG'],
  iterations: 4000,
  run(input) {
    parseStoreYaml(input.toString('utf8'));
  },
};

export const serverYamlTarget: Target = {
  name: 'parseServerYaml',
  seeds: yamlSeeds,
  dictionary: yamlDictionary,
  codes: ['CONFIG'],
  iterations: 4000,
  run(input) {
    parseServerYaml(input.toString('utf8'), 'fuzz.yaml');
  },
};
