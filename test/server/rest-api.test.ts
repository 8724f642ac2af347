/** The REST API under /api/v1, health and /metrics, against `govc serve` on a memory store. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { api, startGovc, type Govc } from '../../support/govc.js';
import { createRepo, createUser, sample } from '../support/server.js';

describe('govc serve: REST API', () => {
  let govc: Govc;
  let admin: string;
  let dana: string;

  before(async () => {
    govc = await startGovc(['--store', 'memory://', '--init-admin', 'admin']);
    admin = govc.adminToken;
    dana = await createUser(govc.url, admin, 'dana');
  });
  after(async () => {
    await govc.stop();
  });

  it('reports health and Prometheus metrics', async () => {
    const h = await api(govc.url, 'GET', '/api/v1/health', { token: govc.adminToken });
    assert.equal(h.status, 200);
    assert.equal(h.body.status, 'ok');
    assert.equal(h.body.store.details.type, 'memory');
    const res = await fetch(`${govc.url}/metrics`, { headers: { authorization: `Bearer ${govc.adminToken}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    assert.match(text, /^# TYPE govc_http_requests_total counter$/m);
    assert.match(text, /^# TYPE govc_http_request_duration_seconds histogram$/m);
    assert.equal(sample(text, 'govc_http_requests_total', { route: 'health', method: 'GET', status: '200' }), 1);
    assert.equal(sample(text, 'govc_http_request_duration_seconds_bucket', { route: 'health', le: '+Inf' }), 1);
    assert.equal(sample(text, 'govc_http_request_duration_seconds_count', { route: 'health' }), 1);
    // The /metrics request itself is in flight while it is rendered.
    assert.equal(sample(text, 'govc_http_requests_in_flight'), 1);
    assert.ok(sample(text, 'govc_uptime_seconds')! > 0);
    assert.equal(sample(text, 'govc_store_up', { store: 'memory' }), 1);
    assert.ok(sample(text, 'govc_store_reads_total', { store: 'memory' })! > 0, 'creating the user read the store');
    assert.ok(sample(text, 'govc_store_writes_total', { store: 'memory' })! > 0, 'creating the user wrote the store');
    assert.equal(sample(text, 'govc_store_objects', { store: 'memory' }), 0);
    assert.ok(sample(text, 'govc_store_latency_seconds', { store: 'memory', quantile: '0.99' })! >= 0);

    const again = await (await fetch(`${govc.url}/metrics`, { headers: { authorization: `Bearer ${govc.adminToken}` } })).text();
    assert.equal(sample(again, 'govc_http_requests_total', { route: 'metrics', method: 'GET', status: '200' }), 1);
    assert.equal(sample(again, 'govc_http_requests_total', { route: 'health', method: 'GET', status: '200' }), 1);
  });

  it('creates, lists (filters, cursor), gets, updates and deletes repositories', async () => {
    for (const name of ['alpha-1', 'alpha-2', 'alpha-3', 'beta']) await createRepo(govc.url, dana, name);
    await createRepo(govc.url, admin, 'alpha-private', 'private');
    assert.equal((await api(govc.url, 'POST', '/api/v1/repositories', { token: dana, body: { name: 'beta' } })).status, 409);
    assert.equal((await api(govc.url, 'POST', '/api/v1/repositories', { token: dana, body: { name: '../x' } })).status, 400);
    assert.equal((await api(govc.url, 'POST', '/api/v1/repositories', { body: { name: 'anon' } })).status, 401);

    const page1 = await api(govc.url, 'GET', '/api/v1/repositories?prefix=alpha&limit=2', { token: dana });
    assert.deepEqual(page1.body.items.map((r: any) => r.name), ['alpha-1', 'alpha-2']);
    assert.ok(page1.body.nextCursor);
    const page2 = await api(govc.url, 'GET', `/api/v1/repositories?prefix=alpha&limit=2&cursor=${page1.body.nextCursor}`, { token: dana });
    // alpha-private is the admin's: dana does not see it, and the page is not cut short by it.
    assert.deepEqual(page2.body.items.map((r: any) => r.name), ['alpha-3']);
    assert.equal(page2.body.nextCursor, undefined);
    const adminView = await api(govc.url, 'GET', '/api/v1/repositories?visibility=private', { token: admin });
    assert.deepEqual(adminView.body.items.map((r: any) => r.name), ['alpha-private']);
    const byOwner = await api(govc.url, 'GET', '/api/v1/repositories?owner=admin', { token: admin });
    assert.deepEqual(byOwner.body.items.map((r: any) => r.name), ['alpha-private']);

    const got = await api(govc.url, 'GET', '/api/v1/repositories/beta', { token: dana });
    assert.equal(got.status, 200);
    assert.equal(got.body.permission, 'admin');
    const anon = await api(govc.url, 'GET', '/api/v1/repositories/beta');
    assert.equal(anon.body.permission, 'read');

    // ETag names the record's version; a PATCH with If-Match applies only to it.
    const tag = got.headers.get('etag')!;
    assert.match(tag, /^"\d+"$/);
    const patched = await api(govc.url, 'PATCH', '/api/v1/repositories/beta', {
      token: dana,
      body: { visibility: 'private', description: 'd' },
      headers: { 'if-match': tag },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.visibility, 'private');
    assert.equal(patched.headers.get('etag'), `"${Number(JSON.parse(tag)) + 1}"`);
    const stale = await api(govc.url, 'PATCH', '/api/v1/repositories/beta', { token: dana, body: { description: 'lost' }, headers: { 'if-match': tag } });
    assert.equal(stale.status, 412);
    assert.match(stale.body.error?.message ?? JSON.stringify(stale.body), /changed since it was read/);
    const bad = await api(govc.url, 'PATCH', '/api/v1/repositories/beta', { token: dana, body: { description: 'x' }, headers: { 'if-match': 'v1' } });
    assert.equal(bad.status, 400);
    assert.equal((await api(govc.url, 'GET', '/api/v1/repositories/beta')).status, 404);

    const head = await api(govc.url, 'GET', '/api/v1/repositories/alpha-1/refs/HEAD', { token: dana });
    assert.deepEqual(head.body, { name: 'HEAD', type: 'symbolic', target: 'refs/heads/main' });
    const refs = await api(govc.url, 'GET', '/api/v1/repositories/alpha-1/refs', { token: dana });
    assert.deepEqual(refs.body.items.map((r: any) => r.name), ['HEAD']);

    assert.equal((await api(govc.url, 'DELETE', '/api/v1/repositories/alpha-1', { token: admin })).status, 204);
    assert.equal((await api(govc.url, 'GET', '/api/v1/repositories/alpha-1', { token: admin })).status, 404);
    assert.equal((await api(govc.url, 'DELETE', '/api/v1/repositories/alpha-private', { token: dana })).status, 404);
  });

  it('manages users and tokens (admins only; tokens can be revoked)', async () => {
    const created = await api(govc.url, 'POST', '/api/v1/users', { token: admin, body: { username: 'erin', email: 'Erin@Example.com' } });
    assert.equal(created.status, 201);
    assert.equal(created.body.user.email, 'erin@example.com');
    const erin = created.body.token as string;
    assert.equal((await api(govc.url, 'GET', '/api/v1/user', { token: erin })).body.username, 'erin');
    assert.equal((await api(govc.url, 'POST', '/api/v1/users', { token: admin, body: { username: 'erin' } })).status, 409);

    const second = await api(govc.url, 'POST', '/api/v1/users/erin/tokens', { token: erin, body: { name: 'laptop' } });
    assert.equal(second.status, 201);
    const tokens = await api(govc.url, 'GET', '/api/v1/users/erin/tokens', { token: erin });
    assert.equal(tokens.body.items.length, 2);
    assert.equal((await api(govc.url, 'DELETE', `/api/v1/users/erin/tokens/${second.body.id}`, { token: erin })).status, 204);
    assert.equal((await api(govc.url, 'GET', '/api/v1/user', { token: second.body.token })).status, 401);
    assert.equal((await api(govc.url, 'GET', '/api/v1/user', { token: erin })).status, 200);
    assert.equal((await api(govc.url, 'GET', '/api/v1/users/admin/tokens', { token: erin })).status, 403);

    const list = await api(govc.url, 'GET', '/api/v1/users?prefix=e', { token: admin });
    assert.deepEqual(list.body.items.map((u: any) => u.username), ['erin']);
    const promoted = await api(govc.url, 'PATCH', '/api/v1/users/erin', { token: admin, body: { isAdmin: true } });
    assert.equal(promoted.body.isAdmin, true);
    assert.equal((await api(govc.url, 'DELETE', '/api/v1/users/erin', { token: admin })).status, 204);
    assert.equal((await api(govc.url, 'GET', '/api/v1/user', { token: erin })).status, 401);
  });

  it('queries audit events with filters and a cursor', async () => {
    const all = await api(govc.url, 'GET', '/api/v1/events?action=repository.create&limit=2&order=desc', { token: admin });
    assert.equal(all.status, 200);
    assert.equal(all.body.items.length, 2);
    assert.equal(all.body.items[0].resource, 'alpha-private');
    const next = await api(govc.url, 'GET', `/api/v1/events?action=repository.create&limit=10&order=desc&cursor=${all.body.nextCursor}`, { token: admin });
    assert.deepEqual(next.body.items.map((e: any) => e.resource), ['alpha-3', 'alpha-2', 'alpha-1']);
    const byUser = await api(govc.url, 'GET', '/api/v1/events?user=dana&action=repository.update', { token: admin });
    assert.equal(byUser.body.items.length, 1);
    const deleted = await api(govc.url, 'GET', '/api/v1/events?action=user.delete', { token: admin });
    assert.equal(deleted.body.items[0].resource, 'user:erin');
    assert.equal((await api(govc.url, 'GET', '/api/v1/events?since=yesterday', { token: admin })).status, 400);
  });

  it('reads and writes config, never the server\'s own auth keys', async () => {
    assert.equal((await api(govc.url, 'PUT', '/api/v1/config/site.name', { token: admin, body: { value: 'govc test' } })).status, 200);
    assert.deepEqual((await api(govc.url, 'GET', '/api/v1/config/site.name', { token: admin })).body, { key: 'site.name', value: 'govc test' });
    const list = await api(govc.url, 'GET', '/api/v1/config', { token: admin });
    assert.deepEqual(list.body.items, [{ key: 'site.name', value: 'govc test' }]);
    assert.equal((await api(govc.url, 'PUT', '/api/v1/config/govc.auth.token.x', { token: admin, body: { value: 'x' } })).status, 403);
    assert.equal((await api(govc.url, 'GET', '/api/v1/config', { token: dana })).status, 403);
    assert.equal((await api(govc.url, 'DELETE', '/api/v1/config/site.name', { token: admin })).status, 204);
    assert.equal((await api(govc.url, 'GET', '/api/v1/config/site.name', { token: admin })).status, 404);
  });

  it('answers unknown routes and methods clearly', async () => {
    assert.equal((await api(govc.url, 'GET', '/api/v1/nope')).status, 404);
    const r = await api(govc.url, 'POST', '/api/v1/health');
    assert.equal(r.status, 405);
    assert.match(r.body.error.message, /use GET/);
  });
});
