/**
 * The mongodb store's authentication and TLS on FerretDB 1.24. FerretDB's
 * PostgreSQL backend has no users of its own: it takes the client's PLAIN
 * credentials (the one mechanism 1.24 offers without its experimental new
 * auth) and connects to PostgreSQL as that role. So these FerretDBs run over
 * a PostgreSQL server of the test's own (test/migration/private-postgres.ts)
 * whose pg_hba.conf asks every role but the superuser for its password; the
 * shared test server trusts every local connection and would accept any
 * password. TLS: a CA made here with openssl signs the server's certificate.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { createStore } from '../../src/datastore/index.js';
import { rejectsWithCode } from '../compliance/context.js';
import { startPrivatePostgres } from '../migration/private-postgres.js';
import { withStore } from '../support/with-store.js';

const dir = mkdtempSync(join(tmpdir(), 'govc-mongo-security-'));
const postgres = await startPrivatePostgres();
const superuser = new pg.Client({ connectionString: postgres.url });
await superuser.connect();
const hbaFile = (await superuser.query<{ hba_file: string }>('SHOW hba_file')).rows[0].hba_file;
writeFileSync(hbaFile, 'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\n');
await superuser.query('SELECT pg_reload_conf()');
await superuser.query("CREATE ROLE govc_mongo LOGIN PASSWORD 'right-pass'");

// startFerretDB creates its database on the server GOVC_TEST_PG_URL names, read when the module loads.
process.env.GOVC_TEST_PG_URL = postgres.url.replace(/\/postgres$/, '');
const { startFerretDB } = await import('../../support/ferretdb-servers.js');

/** A CA and a certificate for 127.0.0.1 it signs; `other` is a second CA that signed nothing here. */
function makeCertificates(): { ca: string; other: string; cert: string; key: string } {
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  for (const ca of ['ca', 'other']) {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=govc test ${ca}`, '-keyout', f(`${ca}.key`), '-out', f(`${ca}.pem`));
  }
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', f('server.key'), '-out', f('server.csr'));
  writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', f('san.ext'), '-out', f('server.pem'));
  return { ca: f('ca.pem'), other: f('other.pem'), cert: f('server.pem'), key: f('server.key') };
}

const certs = makeCertificates();
const [plain, tls] = await Promise.all([startFerretDB(), startFerretDB({ tls: { cert: certs.cert, key: certs.key } })]);
for (const server of [plain, tls]) await superuser.query(`ALTER DATABASE ${server.database} OWNER TO govc_mongo`);
after(async () => {
  await Promise.all([plain.stop(), tls.stop()]);
  await superuser.end();
  postgres.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const ca = encodeURIComponent(certs.ca);
let n = 0;
const db = () => `s${process.pid}_${++n}`;

/** Writes through the store and reads back, then says which PostgreSQL role owns what FerretDB made for it. */
async function roundTrip(uri: string): Promise<string> {
  const database = /\/(s\d+_\d+)\?/.exec(uri)![1];
  await withStore(uri, async (store) => {
    const id = await store.putObject({ type: 'blob', data: Buffer.from('authenticated') });
    assert.equal(Buffer.from((await store.getObject(id))!.data).toString(), 'authenticated');
    const repo = (await store.createRepository({ name: 'secure' })).id;
    await store.updateRefs(repo, [{ name: 'refs/heads/main', old: null, new: id }]);
  });
  const server = uri.includes(`:${tls.port}/`) ? tls : plain;
  const client = new pg.Client({ connectionString: `${process.env.GOVC_TEST_PG_URL}/${server.database}` });
  await client.connect();
  try {
    // FerretDB keeps a MongoDB database as a PostgreSQL schema of the same name.
    const owner = await client.query<{ owner: string }>('SELECT nspowner::regrole::text AS owner FROM pg_namespace WHERE nspname = $1', [database]);
    return owner.rows[0]?.owner ?? '(no schema)';
  } finally {
    await client.end();
  }
}

async function timed<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const start = Date.now();
  try {
    return await promise;
  } finally {
    assert.ok(Date.now() - start < ms, `${what} took ${Date.now() - start} ms: an error must come at once, not after a hang`);
  }
}

describe('mongodb authentication (PLAIN, checked by PostgreSQL)', () => {
  it('writes as the role whose password the URI gives', async () => {
    assert.equal(await roundTrip(`mongodb://govc_mongo:right-pass@127.0.0.1:${plain.port}/${db()}?authMechanism=PLAIN`), 'govc_mongo');
    // The same with the store's own option name, from YAML.
    const store = await createStore({ type: 'mongodb', connection: `mongodb://govc_mongo:right-pass@127.0.0.1:${plain.port}/${db()}`, options: { auth_mechanism: 'PLAIN' } } as never);
    await store.setConfig('k', 'v');
    assert.equal(await store.getConfig('k'), 'v');
    await store.close();
  });

  it('refuses a wrong password or an unknown user at once, saying to check the credentials', async () => {
    for (const who of ['govc_mongo:wrong-pass', 'nobody:right-pass']) {
      const uri = `mongodb://${who}@127.0.0.1:${plain.port}/${db()}?authMechanism=PLAIN&server_selection_timeout=5000`;
      const err = await timed(rejectsWithCode(createStore(uri), 'CONNECTION', /password authentication failed/), 15_000, who);
      assert.match(err.message, /check user, password/);
      assert.doesNotMatch(err.message, /wrong-pass|right-pass/, 'the message never shows the password');
    }
  });

  it('refuses both spellings of one option', async () => {
    await rejectsWithCode(createStore(`mongodb://127.0.0.1:${plain.port}/${db()}?authMechanism=PLAIN&auth_mechanism=PLAIN`), 'CONFIG', /auth_mechanism and authMechanism are the same option/);
  });
});

describe('mongodb over TLS', () => {
  it('connects with tls and tlsCAFile (or tls_ca_file), with credentials too', async () => {
    assert.equal(await roundTrip(`mongodb://govc_mongo:right-pass@127.0.0.1:${tls.port}/${db()}?tls=true&tlsCAFile=${ca}&authMechanism=PLAIN`), 'govc_mongo');
    assert.equal(await roundTrip(`mongodb://127.0.0.1:${tls.port}/${db()}?tls_ca_file=${ca}`), 'postgres');
  });

  it('refuses a server its CA file did not sign, and a plain client, with a clear error', async () => {
    const base = `mongodb://127.0.0.1:${tls.port}/${db()}`;
    const wrongCa = await timed(rejectsWithCode(createStore(`${base}?tls=true&tlsCAFile=${encodeURIComponent(certs.other)}&server_selection_timeout=2000`), 'CONNECTION', /cannot reach MongoDB/), 15_000, 'wrong CA');
    assert.match(wrongCa.message, /certificate/i);
    await timed(rejectsWithCode(createStore(`${base}?tls=true&server_selection_timeout=2000`), 'CONNECTION', /certificate/i), 15_000, 'no CA');
    await timed(rejectsWithCode(createStore(`${base}?server_selection_timeout=2000`), 'CONNECTION', /cannot reach MongoDB/), 15_000, 'plain client');
  });
});
