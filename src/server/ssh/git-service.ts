/**
 * git-upload-pack and git-receive-pack on an SSH channel: the caller's
 * access is checked as over HTTP, then the protocol engine runs the whole
 * stateful conversation (advertisement, then the exchange) on the channel.
 */
import type { ServerState } from '../context.js';
import { repositoryFor } from './access.js';
import type { GitExec } from './session.js';

export async function runGitService(state: ServerState, exec: GitExec, _log: (line: string) => void): Promise<void> {
  const needed = exec.service === 'git-receive-pack' ? 'write' : 'read';
  await repositoryFor(state.store, exec.identity.user, exec.repository, needed);
  throw new Error('the protocol engine is not wired to SSH yet');
}
