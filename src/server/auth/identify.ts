/**
 * Who is calling: HTTP basic auth with a token as the password (what git's
 * credential helpers send), or `Authorization: Bearer <token>`.
 */
import type { IncomingMessage } from 'node:http';
import type { DataStore } from '../../datastore/store.js';
import type { User } from '../../datastore/types.js';
import { unauthorized } from '../http-error.js';
import { userForToken } from './tokens.js';

/** undefined = anonymous. Bad credentials are an error, never silently anonymous. */
export async function identify(store: DataStore, req: IncomingMessage): Promise<User | undefined> {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const [scheme, value = ''] = header.split(/\s+/, 2);
  let username: string | undefined;
  let token: string;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw unauthorized('basic auth must be username:token');
    username = decoded.slice(0, colon);
    token = decoded.slice(colon + 1);
  } else if (/^bearer$/i.test(scheme)) {
    token = value;
  } else {
    throw unauthorized(`unsupported authorization scheme ${scheme}; use Basic (username:token) or Bearer`);
  }
  const user = await userForToken(store, token);
  if (!user) throw unauthorized('invalid or revoked token');
  // Any username is accepted with a token (git sends whatever the user typed), but a different user's name is refused.
  if (username && username !== user.username && username !== 'token' && username !== 'x-access-token') {
    throw unauthorized(`token does not belong to user ${username}`);
  }
  return user;
}
