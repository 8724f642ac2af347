/** Every route of `govc serve`: git smart HTTP and the REST API under /api/v1. */
import type { RequestContext } from './context.js';
import { infoRefs, receivePackRoute, uploadPackRoute } from './git/routes.js';
import * as repos from './rest/repositories.js';
import * as sshKeys from './rest/ssh-keys.js';
import * as system from './rest/system.js';
import * as users from './rest/users.js';

export interface Route {
  method: string | string[];
  pattern: RegExp;
  /** Label for metrics (never the raw path, which would be unbounded). */
  name: string;
  handler: (ctx: RequestContext) => Promise<void>;
}

const R = '([A-Za-z0-9._-]+)';
const api = (path: string) => new RegExp(`^/api/v1${path}$`);

export const ROUTES: Route[] = [
  { method: 'GET', pattern: /^\/([A-Za-z0-9._-]+?)(?:\.git)?\/info\/refs$/, name: 'git.info-refs', handler: infoRefs },
  { method: 'POST', pattern: /^\/([A-Za-z0-9._-]+?)(?:\.git)?\/git-upload-pack$/, name: 'git.upload-pack', handler: uploadPackRoute },
  { method: 'POST', pattern: /^\/([A-Za-z0-9._-]+?)(?:\.git)?\/git-receive-pack$/, name: 'git.receive-pack', handler: receivePackRoute },

  { method: 'GET', pattern: /^\/metrics$/, name: 'metrics', handler: system.metrics },
  { method: 'GET', pattern: api('/health'), name: 'health', handler: system.health },

  { method: 'GET', pattern: api('/repositories'), name: 'repositories.list', handler: repos.listRepositories },
  { method: 'POST', pattern: api('/repositories'), name: 'repositories.create', handler: repos.createRepository },
  { method: 'GET', pattern: api(`/repositories/${R}`), name: 'repositories.get', handler: repos.getRepository },
  { method: 'PATCH', pattern: api(`/repositories/${R}`), name: 'repositories.update', handler: repos.updateRepository },
  { method: 'DELETE', pattern: api(`/repositories/${R}`), name: 'repositories.delete', handler: repos.deleteRepository },
  { method: 'GET', pattern: api(`/repositories/${R}/refs`), name: 'refs.list', handler: repos.listRefs },
  { method: 'GET', pattern: api(`/repositories/${R}/refs/(.+)`), name: 'refs.get', handler: repos.getRef },
  { method: 'GET', pattern: api(`/repositories/${R}/collaborators`), name: 'collaborators.list', handler: repos.listCollaborators },
  { method: ['PUT', 'DELETE'], pattern: api(`/repositories/${R}/collaborators/${R}`), name: 'collaborators.set', handler: repos.setCollaborator },

  { method: 'GET', pattern: api('/user'), name: 'user.self', handler: users.whoami },
  { method: 'GET', pattern: api('/users'), name: 'users.list', handler: users.listUsers },
  { method: 'POST', pattern: api('/users'), name: 'users.create', handler: users.createUser },
  { method: 'GET', pattern: api(`/users/${R}`), name: 'users.get', handler: users.getUser },
  { method: 'PATCH', pattern: api(`/users/${R}`), name: 'users.update', handler: users.updateUser },
  { method: 'DELETE', pattern: api(`/users/${R}`), name: 'users.delete', handler: users.deleteUser },
  { method: 'GET', pattern: api(`/users/${R}/tokens`), name: 'tokens.list', handler: users.getTokens },
  { method: 'POST', pattern: api(`/users/${R}/tokens`), name: 'tokens.create', handler: users.createToken },
  { method: 'DELETE', pattern: api(`/users/${R}/tokens/([0-9a-f]+)`), name: 'tokens.delete', handler: users.deleteToken },
  { method: 'GET', pattern: api(`/users/${R}/ssh-keys`), name: 'ssh-keys.list', handler: sshKeys.listSshKeys },
  { method: 'POST', pattern: api(`/users/${R}/ssh-keys`), name: 'ssh-keys.add', handler: sshKeys.addSshKey },
  { method: 'DELETE', pattern: api(`/users/${R}/ssh-keys/([^/]+)`), name: 'ssh-keys.delete', handler: sshKeys.deleteSshKey },

  { method: 'GET', pattern: api('/events'), name: 'events.query', handler: system.queryEvents },
  { method: 'GET', pattern: api('/config'), name: 'config.list', handler: system.listConfig },
  { method: 'GET', pattern: api('/config/(.+)'), name: 'config.get', handler: system.getConfig },
  { method: ['PUT', 'DELETE'], pattern: api('/config/(.+)'), name: 'config.set', handler: system.setConfig },
];

export function match(method: string, path: string): { route: Route; params: string[] } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const m = route.pattern.exec(path);
    if (!m) continue;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (methods.includes(method)) return { route, params: m.slice(1) };
    allowed.push(...methods);
  }
  return allowed.length ? { allowed } : undefined;
}
