/**
 * /api/v1/users (administrators) and /api/v1/user (the caller). Creating a
 * user returns its first token once; tokens are stored as hashes only.
 */
import type { User } from '../../datastore/types.js';
import { issueToken, listTokens, revokeTokens } from '../auth/tokens.js';
import { asStore, type RequestContext } from '../context.js';
import { badRequest, forbidden, notFound } from '../http-error.js';
import { Params, sendJson } from '../http-util.js';
import { ifMatchVersion, versionTag } from './versions.js';
import { pageView, userView } from './views.js';

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function checkUsername(name: string): string {
  if (!USERNAME.test(name)) throw badRequest(`username ${JSON.stringify(name)} must be 1-64 letters, digits, . _ - starting with a letter or digit`);
  return name;
}

/** The named user, when the caller is an administrator or that user. */
async function userInScope(ctx: RequestContext, username: string): Promise<User> {
  const caller = ctx.requireUser();
  if (!caller.isAdmin && caller.username !== username) throw forbidden('only administrators may manage other users');
  const user = await ctx.store.getUserByUsername(username);
  if (!user) throw notFound(`user ${username}`);
  return user;
}

export async function whoami(ctx: RequestContext): Promise<void> {
  sendJson(ctx.res, 200, userView(ctx.requireUser()));
}

export async function listUsers(ctx: RequestContext): Promise<void> {
  ctx.requireAdmin();
  const q = Params.query(ctx.url);
  const page = await ctx.store.listUsers({ usernamePrefix: q.string('prefix'), isAdmin: q.bool('admin'), limit: q.int('limit'), cursor: q.string('cursor') });
  sendJson(ctx.res, 200, pageView(page, userView));
}

export async function createUser(ctx: RequestContext): Promise<void> {
  ctx.requireAdmin();
  const p = Params.body(await ctx.readJson());
  const username = checkUsername(p.requiredString('username'));
  const input = {
    username,
    email: p.string('email') ?? `${username}@users.govc.local`,
    displayName: p.string('displayName') ?? '',
    isAdmin: p.bool('isAdmin') ?? false,
  };
  const { user, token } = await ctx.writeAll(async (tx) => {
    const created = await tx.createUser(input);
    const { token } = await issueToken(asStore(tx), created.id, 'initial');
    await ctx.audit('user.create', `user:${username}`, null, { userId: created.id, isAdmin: created.isAdmin }, tx);
    return { user: created, token };
  });
  sendJson(ctx.res, 201, { user: userView(user), token });
}

export async function getUser(ctx: RequestContext): Promise<void> {
  const user = await userInScope(ctx, ctx.params[0]);
  sendJson(ctx.res, 200, userView(user), { etag: versionTag(user.version) });
}

export async function updateUser(ctx: RequestContext): Promise<void> {
  ctx.requireAdmin();
  const user = await userInScope(ctx, ctx.params[0]);
  const p = Params.body(await ctx.readJson());
  const patch = { email: p.string('email'), displayName: p.string('displayName'), isAdmin: p.bool('isAdmin') };
  const ifVersion = ifMatchVersion(ctx);
  const updated = await ctx.writeAll(async (tx) => {
    const result = await tx.updateUser(user.id, patch, { ifVersion });
    await ctx.audit('user.update', `user:${user.username}`, null, JSON.parse(JSON.stringify(patch)), tx);
    return result;
  });
  sendJson(ctx.res, 200, userView(updated), { etag: versionTag(updated.version) });
}

export async function deleteUser(ctx: RequestContext): Promise<void> {
  const admin = ctx.requireAdmin();
  const user = await userInScope(ctx, ctx.params[0]);
  if (user.id === admin.id) throw badRequest('you cannot delete yourself');
  await ctx.writeAll(async (tx) => {
    await revokeTokens(asStore(tx), user.id);
    await tx.deleteUser(user.id);
    await ctx.audit('user.delete', `user:${user.username}`, null, { userId: user.id }, tx);
  });
  ctx.res.writeHead(204).end();
}

export async function createToken(ctx: RequestContext): Promise<void> {
  const user = await userInScope(ctx, ctx.params[0]);
  const p = Params.body(await ctx.readJson());
  const name = p.string('name') ?? 'token';
  const { token, id } = await ctx.writeAll(async (tx) => {
    const issued = await issueToken(asStore(tx), user.id, name);
    await ctx.audit('token.create', `user:${user.username}`, null, { tokenId: issued.id }, tx);
    return issued;
  });
  sendJson(ctx.res, 201, { id, token });
}

export async function getTokens(ctx: RequestContext): Promise<void> {
  const user = await userInScope(ctx, ctx.params[0]);
  sendJson(ctx.res, 200, { items: await listTokens(ctx.store, user.id) });
}

export async function deleteToken(ctx: RequestContext): Promise<void> {
  const user = await userInScope(ctx, ctx.params[0]);
  const id = ctx.params[1];
  if (!/^[0-9a-f]{16}$/.test(id)) throw badRequest('token id is 16 hex digits, as listed');
  await ctx.writeAll(async (tx) => {
    const n = await revokeTokens(asStore(tx), user.id, id);
    if (n === 0) throw notFound(`token ${id}`);
    await ctx.audit('token.revoke', `user:${user.username}`, null, { tokenId: id }, tx);
  });
  ctx.res.writeHead(204).end();
}
