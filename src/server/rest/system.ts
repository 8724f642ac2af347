/** Health, metrics, audit events and server config (administrators; auth keys are never shown). */
import type { RequestContext } from '../context.js';
import { badRequest, forbidden, notFound, unauthorized } from '../http-error.js';
import { Params, sendJson, sendText } from '../http-util.js';
import { internalPrefixOf } from '../../datastore/keyspace.js';
import { eventView, pageView } from './views.js';


/** Everyone learns whether the server is up; only server.expose.health sees the store's details (paths, hosts, versions). */
export async function health(ctx: RequestContext): Promise<void> {
  const store = await ctx.store.healthCheck();
  const status = store.healthy ? 'ok' : 'unavailable';
  sendJson(ctx.res, store.healthy ? 200 : 503, ctx.isIn(ctx.state.config.expose.health) ? { status, store } : { status });
}

/** Route counts and store totals tell an outsider a lot: only server.expose.metrics may read them. */
export async function metrics(ctx: RequestContext): Promise<void> {
  const audience = ctx.state.config.expose.metrics;
  if (!ctx.isIn(audience)) {
    const who = audience === 'admin' ? 'administrators' : 'signed-in users';
    if (!ctx.user) throw unauthorized(`metrics are shown to ${who} only (server.expose.metrics): send a token`);
    throw forbidden(`metrics are shown to ${who} only (server.expose.metrics)`);
  }
  const metrics = ctx.state.metrics;
  sendText(ctx.res, 200, await metrics.render(), metrics.contentType);
}

export async function queryEvents(ctx: RequestContext): Promise<void> {
  ctx.requireAdmin();
  const q = Params.query(ctx.url);
  let userId: string | undefined;
  const username = q.string('user');
  if (username !== undefined) {
    const user = await ctx.store.getUserByUsername(username);
    if (!user) return sendJson(ctx.res, 200, { items: [] });
    userId = user.id;
  }
  let repositoryId: string | undefined;
  const repoName = q.string('repository');
  if (repoName !== undefined) {
    const repo = await ctx.store.getRepositoryByName(repoName);
    if (!repo) return sendJson(ctx.res, 200, { items: [] });
    repositoryId = repo.id;
  }
  const page = await ctx.store.queryEvents({
    action: q.string('action'),
    userId,
    repositoryId,
    resource: q.string('resource'),
    resourcePrefix: q.string('resourcePrefix'),
    since: q.date('since'),
    until: q.date('until'),
    order: q.oneOf('order', ['asc', 'desc']),
    limit: q.int('limit'),
    cursor: q.string('cursor'),
  });
  sendJson(ctx.res, 200, pageView(page, eventView));
}

function configKey(ctx: RequestContext): string {
  const key = ctx.params[0];
  const reserved = internalPrefixOf(key);
  if (reserved) throw forbidden(`config keys under ${reserved} are managed by the server`);
  return key;
}

export async function listConfig(ctx: RequestContext): Promise<void> {
  ctx.requireAdmin();
  const q = Params.query(ctx.url);
  const items: Array<{ key: string; value: string }> = [];
  const limit = q.int('limit') ?? 1000;
  for await (const [key, value] of ctx.store.listConfig(q.string('prefix') ?? '')) {
    if (internalPrefixOf(key)) continue;
    items.push({ key, value });
    if (items.length >= limit) break;
  }
  sendJson(ctx.res, 200, { items });
}

export async function getConfig(ctx: RequestContext): Promise<void> {
  ctx.requireAdmin();
  const key = configKey(ctx);
  const value = await ctx.store.getConfig(key);
  if (value === undefined) throw notFound(`config key ${key}`);
  sendJson(ctx.res, 200, { key, value });
}

export async function setConfig(ctx: RequestContext): Promise<void> {
  ctx.requireAdmin();
  const key = configKey(ctx);
  if (ctx.req.method === 'DELETE') {
    await ctx.writeAll(async (tx) => {
      await tx.deleteConfig(key);
      await ctx.audit('config.delete', `config:${key}`, null, {}, tx);
    });
    ctx.res.writeHead(204).end();
    return;
  }
  const value = Params.body(await ctx.readJson()).string('value');
  if (value === undefined) throw badRequest('body must be {"value": "<string>"}');
  await ctx.writeAll(async (tx) => {
    await tx.setConfig(key, value);
    await ctx.audit('config.set', `config:${key}`, null, { value }, tx);
  });
  sendJson(ctx.res, 200, { key, value });
}
