/**
 * git-upload-pack and git-receive-pack on an SSH channel: access checked as
 * over smart HTTP, then the protocol engine runs the whole stateful
 * conversation on the channel (the advertisement, then the exchange;
 * protocol v2 when the client sent GIT_PROTOCOL=version=2). The engine
 * answers its own refusals in git's framing; what fails before it starts
 * (no such repository, no permission) is thrown for the session to print on
 * stderr. Metrics and the push's audit event are those of HTTP, marked
 * `transport: ssh`. The engine runs in a slot of the server's engine (its
 * pool when on): a full server is refused on stderr before anything starts.
 */
import { protocolVersion, type ProtocolSession } from '../../git/protocol/index.js';
import type { ServerState } from '../context.js';
import { ServerBusyError } from '../engine-pool/engine.js';
import { statusOf } from '../http-error.js';
import { formatBytes, LIMIT_SETTINGS, limitMessage, protocolLimits } from '../limits.js';
import { pushEventBase, recordPush } from '../push-record.js';
import { repositoryFor } from './access.js';
import { ChannelIo } from './channel-io.js';
import type { GitExec } from './session.js';

/** Resolves to the exit status: 0, or 128 once the engine has told the client why it failed. */
export async function runGitService(state: ServerState, exec: GitExec, log: (line: string) => void): Promise<number> {
  const push = exec.service === 'git-receive-pack';
  const { repo, level } = await repositoryFor(state.store, exec.identity.user, exec.repository, push ? 'write' : 'read');
  const service = push ? 'receive-pack' : 'upload-pack';
  const slot = await state.engine.reserve().catch((err: unknown) => {
    if (err instanceof ServerBusyError) state.metrics.gitOperations.inc({ service, result: 'busy' });
    throw err;
  });
  const session: ProtocolSession = {
    store: state.store,
    repo,
    access: level === 'admin' ? 'admin' : level === 'write' ? 'write' : 'read',
    limits: protocolLimits(state.limits),
    tmpDir: state.tmpDir,
    packCache: state.packCache,
    cloneLists: state.cloneLists,
    describeError: (err) => statusOf(err).message,
    pushEvent: pushEventBase(exec.identity.user.id, { transport: 'ssh', key: exec.identity.key.fingerprint }),
  };
  const { maxPackSize, maxRequestBody } = state.limits;
  const limit = push
    ? { bytes: maxPackSize + maxRequestBody, message: `push is over the server's limit of ${formatBytes(maxPackSize)} for its pack (${LIMIT_SETTINGS.maxPackSize}) plus ${formatBytes(maxRequestBody)} for its commands (${LIMIT_SETTINGS.maxRequestBody})` }
    : { bytes: maxRequestBody, message: limitMessage('fetch negotiation', 'maxRequestBody', maxRequestBody) };
  const io = new ChannelIo(exec.channel, limit, state.config.timeouts, log);
  const metrics = state.metrics;
  try {
    if (!push) {
      const sent = await slot.uploadPack(session, io.input(), io.output, { stateless: false, version: protocolVersion(exec.gitProtocol) });
      metrics.gitOperations.inc({ service, result: sent ? 'pack' : 'negotiation' });
      if (sent) {
        metrics.packBytes.inc({ direction: 'sent' }, sent.bytes);
        metrics.packObjects.inc({ direction: 'sent' }, sent.objects);
      }
      return 0;
    }
    const result = await slot.receivePack(session, io.input(), io.output, { stateless: false });
    if (result) await recordPush(session, metrics, result);
    return 0;
  } catch (err) {
    metrics.gitOperations.inc({ service, result: 'error' });
    if (statusOf(err).status >= 500) log(`govc: ssh ${exec.service} ${repo.name} by ${exec.identity.user.username}: ${(err as Error).stack ?? String(err)}`);
    return 128;
  } finally {
    slot.release();
    await io.close();
  }
}
