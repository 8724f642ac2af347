/**
 * /api/v1/users/<name>/ssh-keys: a user's SSH public keys, for git over SSH.
 * Administrators manage anyone's, users their own. A key is shown with its
 * fingerprint as OpenSSH prints it (SHA256:...); it is deleted by the id
 * listed (hex) or by that fingerprint.
 */
import { addKey, deleteKey, listKeys, type StoredKey } from '../ssh/key-store.js';
import { keyIdOfFingerprint } from '../ssh/fingerprint.js';
import { parsePublicKey } from '../ssh/public-key.js';
import type { RequestContext } from '../context.js';
import { badRequest, notFound } from '../http-error.js';
import { Params, sendJson } from '../http-util.js';
import { userInScope } from './users.js';

const MAX_TITLE = 200;

const keyView = (k: StoredKey) => ({ id: k.id, fingerprint: k.fingerprint, type: k.key.split(' ')[0], title: k.title, key: k.key, createdAt: k.createdAt });

export async function listSshKeys(ctx: RequestContext): Promise<void> {
  const user = await userInScope(ctx, ctx.params[0]);
  sendJson(ctx.res, 200, { items: (await listKeys(ctx.store, user.id)).map(keyView) });
}

export async function addSshKey(ctx: RequestContext): Promise<void> {
  const user = await userInScope(ctx, ctx.params[0]);
  const p = Params.body(await ctx.readJson());
  const key = parsePublicKey(p.requiredString('key'));
  const title = p.string('title') ?? key.comment;
  if (title.length > MAX_TITLE) throw badRequest(`title must be at most ${MAX_TITLE} characters`);
  const stored = await ctx.writeAll(async (tx) => {
    const added = await addKey(tx, user.id, key, title);
    await ctx.audit('ssh_key.add', `user:${user.username}`, null, { keyId: key.id, fingerprint: key.fingerprint, type: key.type }, tx);
    return added;
  });
  sendJson(ctx.res, 201, keyView(stored));
}

export async function deleteSshKey(ctx: RequestContext): Promise<void> {
  const user = await userInScope(ctx, ctx.params[0]);
  const named = ctx.params[1];
  const id = /^[0-9a-f]{64}$/.test(named) ? named : keyIdOfFingerprint(named);
  if (!id) throw badRequest('name the key by its id (64 hex digits, as listed) or its fingerprint (SHA256:..., URL-encoded)');
  await ctx.writeAll(async (tx) => {
    const removed = await deleteKey(tx, user.id, id);
    if (!removed) throw notFound(`SSH key ${named} of user ${user.username}`);
    await ctx.audit('ssh_key.delete', `user:${user.username}`, null, { keyId: id, fingerprint: removed.fingerprint }, tx);
  });
  ctx.res.writeHead(204).end();
}
