/**
 * /api/v1/repositories: create (any signed-in user; they own it), list (only
 * what the caller may read), get, update and delete (repository admins),
 * refs, and collaborators (per-repository read/write/admin grants).
 */
import { encodeCursor } from '../../datastore/cursor.js';
import { InvalidArgumentError } from '../../datastore/errors.js';
import type { Repository, Visibility } from '../../datastore/types.js';
import { checkRefName } from '../../datastore/validate.js';
import { atLeast, grant, GRANTABLE, levelFor, listGrants, type Level } from '../auth/permissions.js';
import { asStore, type RequestContext } from '../context.js';
import { badRequest, forbidden, notFound } from '../http-error.js';
import { Params, sendJson } from '../http-util.js';
import { ifMatchVersion, versionTag } from './versions.js';
import { refView, repositoryView } from './views.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function checkRepositoryName(name: string): string {
  if (!NAME.test(name) || name.endsWith('.git') || name.endsWith('.lock')) {
    throw badRequest(`repository name ${JSON.stringify(name)} must be 1-100 letters, digits, . _ - (starting with a letter or digit, not ending in .git)`);
  }
  return name;
}

/** A branch name HEAD may point at: `main`, `release/1.x`; git's ref name rules. */
function checkBranchName(name: string): string {
  try {
    checkRefName(`refs/heads/${name}`);
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    throw badRequest(`defaultBranch ${JSON.stringify(name)} is not a valid branch name: ${err.message.replace(/^invalid ref name "[^"]*": /, '')}`);
  }
  return name;
}

export async function createRepository(ctx: RequestContext): Promise<void> {
  const user = ctx.requireUser();
  const p = Params.body(await ctx.readJson());
  const name = checkRepositoryName(p.requiredString('name'));
  const visibility = p.oneOf<Visibility>('visibility', ['public', 'private']) ?? 'public';
  let ownerId = user.id;
  const owner = p.string('owner');
  if (owner !== undefined && owner !== user.username) {
    if (!user.isAdmin) throw forbidden('only administrators may create repositories for other users');
    const found = await ctx.store.getUserByUsername(owner);
    if (!found) throw badRequest(`owner ${owner} does not exist`);
    ownerId = found.id;
  }
  const defaultBranch = checkBranchName(p.string('defaultBranch') ?? 'main');
  const description = p.string('description') ?? '';
  const repo = await ctx.writeAll(async (tx) => {
    const created = await tx.createRepository({ name, description, visibility, ownerId });
    await tx.setSymbolicRef(created.id, 'HEAD', `refs/heads/${defaultBranch}`);
    await ctx.audit('repository.create', created.name, created.id, { visibility, ownerId }, tx);
    return created;
  });
  sendJson(ctx.res, 201, repositoryView(repo));
}

/** Lists repositories the caller may read, keeping pages full although private ones are skipped. */
export async function listRepositories(ctx: RequestContext): Promise<void> {
  const q = Params.query(ctx.url);
  const limit = Math.min(q.int('limit') ?? 100, 1000) || 100;
  const visibility = q.oneOf<Visibility>('visibility', ['public', 'private']);
  const ownerName = q.string('owner');
  let ownerId: string | undefined;
  if (ownerName !== undefined) {
    const owner = await ctx.store.getUserByUsername(ownerName);
    if (!owner) return sendJson(ctx.res, 200, { items: [] });
    ownerId = owner.id;
  }
  const items: Repository[] = [];
  let cursor = q.string('cursor');
  let more = true;
  while (items.length < limit && more) {
    const page = await ctx.store.listRepositories({ namePrefix: q.string('prefix'), visibility, ownerId, cursor, limit });
    for (const repo of page.items) {
      if (items.length >= limit) break;
      const level = await levelFor(ctx.store, ctx.user, repo, ctx.state.config.anonymousRead);
      if (level !== 'none') items.push(repo);
    }
    more = page.nextCursor !== undefined;
    cursor = page.nextCursor;
  }
  const body: { items: unknown[]; nextCursor?: string } = { items: items.map(repositoryView) };
  if (items.length === limit && more) body.nextCursor = encodeCursor('repositories', items[items.length - 1].name);
  sendJson(ctx.res, 200, body);
}

export async function getRepository(ctx: RequestContext): Promise<void> {
  const { repo, level } = await ctx.repository(ctx.params[0], 'read');
  sendJson(ctx.res, 200, { ...repositoryView(repo), permission: level }, { etag: versionTag(repo.version) });
}

export async function updateRepository(ctx: RequestContext): Promise<void> {
  const { repo } = await ctx.repository(ctx.params[0], 'admin');
  const p = Params.body(await ctx.readJson());
  const patch: { description?: string; visibility?: Visibility; name?: string; metadata?: Repository['metadata'] } = {};
  const name = p.string('name');
  if (name !== undefined) patch.name = checkRepositoryName(name);
  const description = p.string('description');
  if (description !== undefined) patch.description = description;
  const visibility = p.oneOf<Visibility>('visibility', ['public', 'private']);
  if (visibility !== undefined) patch.visibility = visibility;
  const deny = p.bool('denyNonFastForwards');
  const ifVersion = ifMatchVersion(ctx);
  const updated = await ctx.writeAll(async (tx) => {
    // The flag merges into the metadata as stored at the write, not as read above.
    const result = await tx.updateRepository(
      repo.id,
      (current) => (deny === undefined ? patch : { ...patch, metadata: { ...current.metadata, denyNonFastForwards: deny } }),
      { ifVersion },
    );
    await ctx.audit('repository.update', result.name, repo.id, { ...patch, ...(deny === undefined ? {} : { denyNonFastForwards: deny }) } as Record<string, string>, tx);
    return result;
  });
  sendJson(ctx.res, 200, repositoryView(updated), { etag: versionTag(updated.version) });
}

export async function deleteRepository(ctx: RequestContext): Promise<void> {
  const { repo } = await ctx.repository(ctx.params[0], 'admin');
  // deleteRepository takes the refs, grants and commit index with it, in one write.
  await ctx.writeAll(async (tx) => {
    await tx.deleteRepository(repo.id);
    await ctx.audit('repository.delete', repo.name, repo.id, {}, tx);
  });
  ctx.res.writeHead(204).end();
}

export async function listRefs(ctx: RequestContext): Promise<void> {
  const { repo } = await ctx.repository(ctx.params[0], 'read');
  const q = Params.query(ctx.url);
  const page = await ctx.store.listRefsPage(repo.id, { prefix: q.string('prefix'), limit: q.int('limit'), cursor: q.string('cursor') });
  sendJson(ctx.res, 200, { items: page.items.map(refView), ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) });
}

export async function getRef(ctx: RequestContext): Promise<void> {
  const { repo } = await ctx.repository(ctx.params[0], 'read');
  const name = ctx.params[1];
  const ref = await ctx.store.getRef(repo.id, name);
  if (!ref) throw notFound(`ref ${name}`);
  const resolved = ref.type === 'symbolic' ? await ctx.store.resolveRef(repo.id, name) : ref;
  sendJson(ctx.res, 200, { ...refView(ref), ...(resolved && ref.type === 'symbolic' ? { resolved: resolved.target } : {}) });
}

export async function listCollaborators(ctx: RequestContext): Promise<void> {
  const { repo } = await ctx.repository(ctx.params[0], 'admin');
  const grants = await listGrants(ctx.store, repo.id);
  const items = [];
  for (const g of grants) items.push({ username: (await ctx.store.getUser(g.userId))?.username ?? null, userId: g.userId, permission: g.level });
  sendJson(ctx.res, 200, { items });
}

/** PUT {permission: read|write|admin} grants; DELETE revokes. */
export async function setCollaborator(ctx: RequestContext): Promise<void> {
  const { repo } = await ctx.repository(ctx.params[0], 'admin');
  const target = await ctx.store.getUserByUsername(ctx.params[1]);
  if (!target) throw notFound(`user ${ctx.params[1]}`);
  let level: Level = 'none';
  if (ctx.req.method === 'PUT') {
    const p = Params.body(await ctx.readJson());
    level = p.oneOf('permission', GRANTABLE) ?? 'read';
  }
  await ctx.writeAll(async (tx) => {
    await grant(asStore(tx), repo.id, target.id, level);
    await ctx.audit('repository.permission', repo.name, repo.id, { user: target.username, permission: level }, tx);
  });
  const effective = await levelFor(ctx.store, target, repo, ctx.state.config.anonymousRead);
  sendJson(ctx.res, 200, { username: target.username, permission: level, effective, canWrite: atLeast(effective, 'write') });
}
