/**
 * Encryption at rest: known plaintext written through the layer is in no
 * SQLite file (WAL included), no PostgreSQL row and no Redis dump or AOF,
 * while the documented clear fields are; tampered, truncated and moved
 * values fail with INVALID_DATA naming what was hit; keys rotate, resumably.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { createStore, type DataStore } from '../../src/datastore/index.js';
import { wholeEntry } from '../../src/datastore/objects/encoding.js';
import { findEncryptionLayers, rotateLayer, ROTATION_KEY, type RotationProgress } from '../../src/datastore/layers/encryption/rotate.js';
import { rejectsWithCode } from '../compliance/context.js';
import { startStandaloneRedis } from '../../support/redis-servers.js';
import { ensurePostgres, schemaFactory, withAdmin } from '../stores/fixtures/pg-support.js';
import { CLI as MAIN } from '../../support/govc.js';

const root = mkdtempSync(join(tmpdir(), 'govc-encryption-'));
after(() => rmSync(root, { recursive: true, force: true }));
const newKey = () => randomBytes(32).toString('base64');
let n = 0;

function keyFile(text: string): string {
  const path = join(root, `key-${++n}`);
  writeFileSync(path, text);
  return path;
}

const SECRET = 'TOP-SECRET-PLAINTEXT-d41d8cd98f00b204';

/** Writes SECRET into every kind of value the layer encrypts, and returns what must stay findable. */
async function writeSecrets(store: DataStore): Promise<{ needles: Buffer[]; clear: string }> {
  const data = Buffer.from(`${SECRET} in a blob`);
  const id = await store.putObject({ type: 'blob', data });
  const repo = await store.createRepository({ name: 'clear-repo-name', description: `${SECRET} description`, metadata: { note: `${SECRET} meta` } });
  await store.createUser({ username: 'clear-user', email: 'clear@example.com', displayName: `${SECRET} name` });
  await store.logEvent({ action: 'clear.action', repositoryId: repo.id, details: { said: `${SECRET} event` } });
  await store.setConfig('clear.config.key', `${SECRET} config`);
  await store.updateRefs(repo.id, [{ name: 'refs/heads/main', new: id }]);
  // The blob's deflated entry would be what an unencrypted store keeps.
  return { needles: [Buffer.from(SECRET), Buffer.from(SECRET).toString('hex') as never, wholeEntry(id, 'blob', data).bytes as Buffer].map((b) => Buffer.from(b)), clear: 'clear-repo-name' };
}

function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [readFileSync(path)];
  });
}

const containsAny = (haystacks: Buffer[], needles: Buffer[]) => haystacks.some((h) => needles.some((n) => h.includes(n)));

describe('encryption at rest', () => {
  const key = keyFile(`k1:${newKey()}`);

  it('leaves no plaintext in the SQLite database or its WAL, and leaves names in the clear as documented', async () => {
    const dir = join(root, 'sqlite-enc');
    const store = await createStore(`sqlite://${join(dir, 'govc.db')}?encryption.type=aes-256-gcm&encryption.key_file=${key}`);
    const { needles, clear } = await writeSecrets(store);
    const whileOpen = filesUnder(dir);
    assert.ok(readdirSync(dir).some((f) => f.endsWith('-wal')), 'the WAL is among the files checked');
    await store.close();
    const files = [...whileOpen, ...filesUnder(dir)];
    assert.equal(containsAny(files, needles), false, 'no plaintext in any file');
    assert.equal(containsAny(files, [Buffer.from(clear)]), true, 'repository names stay in the clear');
    // The same writes without the layer: the check finds them (it can fail).
    const bare = join(root, 'sqlite-bare');
    const plain = await createStore(`sqlite://${join(bare, 'govc.db')}`);
    const written = await writeSecrets(plain);
    await plain.close();
    assert.equal(containsAny(filesUnder(bare), written.needles), true);
  });

  it('leaves no plaintext in any PostgreSQL row', async () => {
    ensurePostgres();
    const schemas = schemaFactory('postgres');
    try {
      const uri = await schemas.freshConfig();
      const store = await createStore(`${uri}&encryption.type=aes-256-gcm&encryption.key_env=GOVC_TEST_KEY`.replace('GOVC_TEST_KEY', setEnvKey()));
      const { needles, clear } = await writeSecrets(store);
      await store.close();
      const schema = new URL(uri).searchParams.get('schema')!;
      const rows = await withAdmin(async (client) => {
        const tables = await client.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
        const out: Buffer[] = [];
        for (const { table_name } of tables.rows) {
          const result = await client.query(`SELECT t::text AS row FROM "${schema}"."${table_name}" t`);
          for (const { row } of result.rows) out.push(Buffer.from(row as string));
        }
        return out;
      });
      assert.ok(rows.length > 5);
      // bytea is shown as hex in a row's text: look for the hex of each needle too.
      assert.equal(containsAny(rows, [...needles, ...needles.map((b) => Buffer.from(b.toString('hex')))]), false);
      assert.equal(containsAny(rows, [Buffer.from(clear)]), true);
    } finally {
      await schemas.cleanup();
    }
  });

  it('leaves no plaintext in a Redis dump or AOF', async () => {
    const server = await startStandaloneRedis();
    try {
      const store = await createStore(`${server.url}?prefix=enc&encryption.type=aes-256-gcm&encryption.key_file=${key}`);
      const { needles, clear } = await writeSecrets(store);
      await store.close();
      const admin = new Redis(server.port, '127.0.0.1');
      const [, dir] = (await admin.config('GET', 'dir')) as [string, string];
      await admin.save();
      admin.disconnect();
      const files = filesUnder(dir);
      assert.ok(readdirSync(dir).some((f) => f.endsWith('.rdb')));
      assert.equal(containsAny(files, needles), false);
      assert.equal(containsAny(files, [Buffer.from(clear)]), true);
    } finally {
      await server.stop();
    }
  });
});

function setEnvKey(): string {
  const name = `GOVC_TEST_KEY_${++n}`;
  process.env[name] = `env1:${newKey()}`;
  return name;
}

describe('encryption: tampered values and keys', () => {
  const key = keyFile(`k1:${newKey()}`);

  it('answers a tampered, truncated or moved value with INVALID_DATA naming it, never with other data', async () => {
    const path = join(root, 'tamper', 'govc.db');
    const uri = `sqlite://${path}?encryption.type=aes-256-gcm&encryption.key_file=${key}`;
    let store = await createStore(uri);
    const id = await store.putObject({ type: 'blob', data: Buffer.from('object to tamper with') });
    for (const k of ['flip', 'cut', 'a', 'b']) await store.setConfig(k, `value of ${k}`);
    await store.close();
    const db = new Database(path);
    const value = (k: string) => (db.prepare('SELECT value FROM config WHERE key = ?').get(k) as { value: string }).value;
    const set = (k: string, v: string) => db.prepare('UPDATE config SET value = ? WHERE key = ?').run(v, k);
    const flipped = value('flip');
    set('flip', flipped.slice(0, 20) + (flipped[20] === 'A' ? 'B' : 'A') + flipped.slice(21));
    set('cut', value('cut').slice(0, 12));
    set('a', value('b'));
    const stored = (db.prepare('SELECT data FROM objects WHERE hash = unhex(?)').get(id) as { data: Buffer }).data;
    stored[stored.length - 1] ^= 1;
    db.prepare('UPDATE objects SET data = ? WHERE hash = unhex(?)').run(stored, id);
    db.close();
    store = await createStore(uri);
    try {
      await rejectsWithCode(store.getConfig('flip'), 'INVALID_DATA', /config flip: .*fails authentication/);
      await rejectsWithCode(store.getConfig('cut'), 'INVALID_DATA', /config cut: .*not an encrypted value/);
      await rejectsWithCode(store.getConfig('a'), 'INVALID_DATA', /config a: .*moved from another record/);
      await rejectsWithCode(store.getObject(id), 'INVALID_DATA', new RegExp(`object ${id}`));
      assert.equal(await store.getConfig('b'), 'value of b');
    } finally {
      await store.close();
    }
  });

  it('refuses configs without a usable key, saying what to change', async () => {
    await rejectsWithCode(createStore('memory://?encryption.type=aes-256-gcm'), 'CONFIG', /needs a key: set encryption.options.key_file/);
    await rejectsWithCode(createStore(`memory://?encryption.type=aes-256-gcm&encryption.key=${newKey()}`), 'CONFIG', /never written in the config/);
    await rejectsWithCode(createStore('memory://?encryption.type=aes-256-gcm&encryption.key_env=GOVC_UNSET_KEY_VARIABLE'), 'CONFIG', /GOVC_UNSET_KEY_VARIABLE .* is not set/);
    await rejectsWithCode(createStore(`memory://?encryption.type=aes-256-gcm&encryption.key_file=${keyFile('short')}`), 'CONFIG', /not 32 bytes/);
    await rejectsWithCode(createStore(`memory://?encryption.type=rot13&encryption.key_file=${key}`), 'CONFIG', /aes-256-gcm/);
  });

  it('rotates every value to the current key, resuming an interrupted run; events stay readable under retired keys, counted per key', async () => {
    const [k0, k1, k2, k3] = [newKey(), newKey(), newKey(), newKey()];
    const file = keyFile(`k0:${k0}`);
    const path = join(root, 'rotate', 'govc.db');
    const uri = `sqlite://${path}?encryption.type=aes-256-gcm&encryption.key_file=${file}`;
    let store = await createStore(uri);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await store.putObject({ type: 'blob', data: Buffer.from(`rotated object ${i}`) }));
    for (let i = 0; i < 5; i++) await store.createRepository({ name: `r${i}`, description: `repo ${i}` });
    for (let i = 0; i < 2; i++) await store.logEvent({ action: 'under.k0', details: { i } });
    await store.close();
    writeFileSync(file, `k1:${k1}\nk0:${k0}\n`);
    store = await createStore(uri);
    await store.createUser({ username: 'u', email: 'u@example.com', displayName: 'User' });
    for (let i = 0; i < 5; i++) await store.setConfig(`c${i}`, `config ${i}`);
    await store.logEvent({ action: 'under.k1', details: { i: 9 } });
    await store.close();

    // k3 is retired but never used: the report says it can go.
    writeFileSync(file, `k2:${k2}\nk1:${k1}\nk0:${k0}\nk3:${k3}\n`);
    store = await createStore(uri);
    const [layer] = findEncryptionLayers(store.driver);
    const partial = await rotateLayer(layer, { batch: 3, maxBatches: 2 });
    assert.equal(partial.phase, 'objects');
    assert.equal(partial.rewritten, 6);
    assert.equal(JSON.parse((await layer.below.getConfig(ROTATION_KEY))!).after, partial.after);
    await store.logEvent({ action: 'under.k2', details: {} });
    await store.close();

    // The rest through the CLI, which resumes from the saved progress.
    const cli = spawnSync(process.execPath, [MAIN, 'datastore', 'rotate-key', '--store', uri, '--batch', '2', '--json'], { encoding: 'utf8' });
    assert.equal(cli.status, 0, cli.stderr);
    const [done] = JSON.parse(cli.stdout) as RotationProgress[];
    assert.equal(done.phase, 'done');
    assert.equal(done.rewritten, 7 + 5 + 1 + 5);
    assert.deepEqual(done.remaining, { k0: 2, k1: 1 });
    assert.deepEqual(done.droppable, ['k3']);

    // A run after a finished pass makes a new pass: nothing to rewrite, the same counts, said in words.
    const again = spawnSync(process.execPath, [MAIN, 'datastore', 'rotate-key', '--store', uri], { encoding: 'utf8' });
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /under key k2: 0 rewritten/);
    assert.match(again.stdout, /2 audit events stay under key k0 .*keep k0 in the key file/);
    assert.match(again.stdout, /1 audit events stay under key k1 /);
    assert.match(again.stdout, /no value needs key k3: it can be removed/);

    // Retired keys kept for decryption only: every event reads back; dropping k1 loses only its event.
    writeFileSync(file, `k2:${k2}\nk1:${k1}\nk0:${k0}\n`);
    store = await createStore(uri);
    try {
      const events = (await store.queryEvents({})).items.map((e) => JSON.stringify([e.action, e.details])).sort();
      assert.deepEqual(events, [['under.k0', { i: 0 }], ['under.k0', { i: 1 }], ['under.k1', { i: 9 }], ['under.k2', {}]].map((e) => JSON.stringify(e)));
    } finally {
      await store.close();
    }
    writeFileSync(file, `k2:${k2}\nk0:${k0}\n`);
    store = await createStore(uri);
    try {
      for (const [i, id] of ids.entries()) assert.equal(Buffer.from((await store.getObject(id))!.data).toString(), `rotated object ${i}`);
      assert.equal((await store.getRepositoryByName('r3'))?.description, 'repo 3');
      assert.equal((await store.getUserByUsername('u'))?.displayName, 'User');
      assert.equal(await store.getConfig('c4'), 'config 4');
      assert.equal((await store.queryEvents({ action: 'under.k0' })).items.length, 2);
      await rejectsWithCode(store.queryEvents({ action: 'under.k1' }), 'INVALID_DATA', /key id k1, which key file .* does not hold/);
    } finally {
      await store.close();
    }
  });
});
