/**
 * One SSH session channel: the client's environment (GIT_PROTOCOL), then
 * exactly one exec of a git command, or a shell, which is refused with a
 * greeting as other forges do. Whatever goes wrong is printed on the
 * channel's stderr, which git shows as it is, and the channel exits 128
 * (what git's own programs exit with on a fatal error).
 */
import type { ServerChannel, Session } from 'ssh2';
import { statusOf } from '../http-error.js';
import type { SshIdentity } from './auth.js';
import { parseGitCommand, type GitService } from './command.js';

export interface GitExec {
  service: GitService;
  repository: string;
  /** The client's GIT_PROTOCOL (e.g. "version=2"), when it sent one. */
  gitProtocol: string | undefined;
  identity: SshIdentity;
  channel: ServerChannel;
}

/**
 * Runs a git service on the channel; resolves to its exit status once the
 * exchange is over (the channel stays open), or throws what the client must
 * be told on stderr because the exchange never started.
 */
export type GitRunner = (exec: GitExec) => Promise<number>;

const FATAL = 128;
const finished = new WeakSet<ServerChannel>();

export function handleSession(session: Session, identity: SshIdentity, sshUrl: string, run: GitRunner, log: (line: string) => void): void {
  const env = new Map<string, string>();
  let pty = false;
  let started = false;

  session.on('env', (accept, _reject, info) => {
    env.set(info.key, info.val);
    accept?.();
  });
  session.on('pty', (accept) => {
    pty = true;
    accept?.();
  });
  session.on('window-change', (accept) => accept?.());
  // ssh2 refuses every request without a listener: x11, agent forwarding, subsystems (sftp), signals.

  session.on('shell', (accept) => {
    if (started) return;
    started = true;
    const channel = open(accept);
    const nl = pty ? '\r\n' : '\n';
    finish(channel, 1, `Hi ${identity.user.username}! You've authenticated, but govc does not provide shell access.${nl}Use git: git clone ${sshUrl}/<repository>.git${nl}`);
  });

  session.on('exec', (accept, _reject, info) => {
    if (started) return;
    started = true;
    const channel = open(accept);
    const parsed = parseGitCommand(info.command);
    if (!parsed.ok) return finish(channel, FATAL, `govc: ${parsed.message}\n`);
    const exec: GitExec = { service: parsed.service, repository: parsed.repository, gitProtocol: env.get('GIT_PROTOCOL'), identity, channel };
    run(exec).then(
      (code) => finish(channel, code),
      (err) => {
        const { status, message } = statusOf(err);
        if (status >= 500) log(`govc: ssh ${info.command} by ${identity.user.username}: ${(err as Error).stack ?? String(err)}`);
        finish(channel, FATAL, `govc: ${message}\n`);
      },
    );
  });
}

function open(accept: () => ServerChannel): ServerChannel {
  const channel = accept();
  // A client gone mid-answer ends this channel only; the engine sees its writes fail.
  channel.on('error', () => undefined);
  return channel;
}

/** Prints `stderr` (if any), sends the exit status and closes the channel, once. */
function finish(channel: ServerChannel, code: number, stderr?: string): void {
  if (channel.destroyed || finished.has(channel)) return;
  finished.add(channel);
  if (stderr) channel.stderr.write(stderr);
  channel.exit(code);
  channel.end();
}
