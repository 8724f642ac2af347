/**
 * Refusals in git's own framing, so every client prints them: an `ERR`
 * pkt-line ("fatal: remote error: <message>") while no side-band runs, a
 * packet on band 3 ("remote: <message>") once one does. git does not print
 * the body of an HTTP error to an RPC POST, and SSH has no other channel, so
 * the engine never answers with anything else.
 */
import { DataStoreError, InvalidArgumentError } from '../../datastore/errors.js';
import { MAX_PKT_PAYLOAD, pkt } from './pkt-line.js';
import type { GitOutput } from './sideband.js';
import type { ProtocolSession } from './session.js';

/** A request that breaks the protocol: answered with its message. */
export class ProtocolError extends InvalidArgumentError {}

export function describe(session: Pick<ProtocolSession, 'describeError'>, err: unknown): string {
  if (session.describeError) return session.describeError(err);
  return err instanceof DataStoreError ? err.message : 'internal server error';
}

/** One line of text that fits a pkt-line with its prefix. */
function line(message: string): Buffer {
  return Buffer.from(`${message.replace(/\n/g, ' ')}\n`, 'utf8').subarray(0, MAX_PKT_PAYLOAD - 8);
}

export function errPacket(message: string): Buffer {
  return pkt(Buffer.concat([Buffer.from('ERR ', 'latin1'), line(message)]));
}

/** Tells the client about `err` in the framing it reads now; never throws (the client may be gone). */
async function answerError(out: GitOutput, session: Pick<ProtocolSession, 'describeError'>, err: unknown): Promise<void> {
  const message = describe(session, err);
  try {
    if (out.multiplexed) await out.error(`govc: ${message}`);
    else await out.write(errPacket(message));
  } catch {
    // The client went away: nobody to tell.
  }
}

/**
 * Runs one service on `out`: a failure reaches the client in git's framing,
 * then is rethrown for the caller to log and count.
 */
export async function answering<T>(out: GitOutput, session: Pick<ProtocolSession, 'describeError'>, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    await answerError(out, session, err);
    throw err;
  }
}
