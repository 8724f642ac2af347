/** The registry, URIs and YAML config: clear errors naming the key and what is expected. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { createStore, defaultRegistry, parseStoreUri, parseStoreYaml } from '../../src/datastore/index.js';

it('parses embedded and network URIs', () => {
  const net = new Set(['postgres', 'redis']);
  assert.deepEqual(parseStoreUri('sqlite://./data/govc.db?journal_mode=WAL', net), {
    type: 'sqlite',
    connection: './data/govc.db',
    options: { journal_mode: 'WAL' },
  });
  assert.deepEqual(parseStoreUri('memory://', net), { type: 'memory', connection: '', options: {} });
  assert.deepEqual(parseStoreUri('sqlite:///abs/path%20x.db', net).connection, '/abs/path x.db');
  const pg = parseStoreUri('postgresql://govc:pw@db.example.com:5432/govc?pool_size=25&ssl_mode=require', net);
  assert.equal(pg.type, 'postgres');
  assert.equal(pg.connection, 'postgresql://govc:pw@db.example.com:5432/govc');
  assert.deepEqual(pg.options, { pool_size: '25', ssl_mode: 'require' });
  assert.throws(() => parseStoreUri('./data/govc.db', net), /must look like <type>:\/\/<connection>/);
});

it('parses YAML in the plan\'s shape and names the bad key', () => {
  const config = parseStoreYaml('datastore:\n  type: sqlite\n  connection: ./data/govc.db\n  options:\n    journal_mode: WAL\n    cache_size: 10000\n');
  assert.deepEqual(config, { type: 'sqlite', connection: './data/govc.db', options: { journal_mode: 'WAL', cache_size: 10000 } });
  assert.throws(() => parseStoreYaml('datastore:\n  connection: x\n'), /datastore.type is required/);
  assert.throws(() => parseStoreYaml('datastore:\n  type: sqlite\n  options: [1]\n'), /datastore.options must be a mapping/);
  assert.throws(() => parseStoreYaml('datastore:\n  type: sqlite\n  conection: x\n'), /unknown key datastore.conection; expected type, connection, options/);
  assert.throws(() => parseStoreYaml('datastore:\n  objects:\n    type: rocksdb\n'), /datastore.metadata is missing: a hybrid store needs objects: and metadata:/);
  assert.throws(() => parseStoreYaml('datastore: [\n'), /not valid YAML/);
});

it('names the known types for an unknown one, and the TypeScript counterparts of Go-only ones', async () => {
  await assert.rejects(createStore('nosuchdb://x'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'CONFIG');
    assert.match(err.message, /unknown store type nosuchdb; known types: .*memory.*sqlite/);
    return true;
  });
  await assert.rejects(createStore({ type: 'badger', connection: '/var/lib/govc' }), /badger is Go-only; use rocksdb/);
  await assert.rejects(createStore('bolt://./x.db'), /bolt is Go-only; use lmdb/);
  await assert.rejects(createStore({ type: 'memory', options: { object_format: 'md5' } }), /object_format must be one of sha1, sha256/);
  assert.ok(defaultRegistry.types().includes('memory'));
});

it('creates stores from config objects, with sha256 object ids when asked', async () => {
  const store = await createStore({ type: 'memory', options: { object_format: 'sha256' } });
  const id = await store.putObject({ type: 'blob', data: Buffer.from('x') });
  assert.equal(id.length, 64);
  await assert.rejects(store.getObject('a'.repeat(40)), /64 lowercase hex/);
  await store.close();
});
