/**
 * Errors in git's own framing. git does not print the body of an HTTP error
 * to an upload-pack or receive-pack POST ("RPC failed; HTTP 413" is all the
 * user sees), so a refusal is answered with 200 and the message inside the
 * protocol: an `ERR` pkt-line, which fetch and a plain push print as
 * "fatal: remote error: <message>", or, for a push that asked for
 * side-band, a packet on band 3, printed as "remote: <message>".
 */
import type { ServerResponse } from 'node:http';
import { statusOf } from '../http-error.js';
import { MAX_PKT_PAYLOAD, pkt } from './pkt-line.js';

type Rpc = 'git-upload-pack' | 'git-receive-pack';

/** Whether the first pkt-line of a push (its first command and capabilities) asks for side-band. */
export function asksForSideband(head: Buffer | undefined): boolean {
  if (!head || head.length < 4) return false;
  const length = parseInt(head.subarray(0, 4).toString('latin1'), 16);
  if (!Number.isInteger(length) || length <= 4) return false;
  const line = head.subarray(4, Math.min(length, head.length));
  const nul = line.indexOf(0);
  if (nul < 0) return false;
  return line.subarray(nul + 1).toString('latin1').split(/[ \n]/).some((cap) => cap === 'side-band' || cap === 'side-band-64k');
}

/** Answers `err` in git's framing when no response has started yet; does nothing otherwise. */
export function answerInGit(res: ServerResponse, service: Rpc, err: unknown, head?: Buffer): void {
  if (res.headersSent || res.writableEnded) return;
  const { message } = statusOf(err);
  const text = Buffer.from(`${message.replace(/\n/g, ' ')}\n`, 'utf8').subarray(0, MAX_PKT_PAYLOAD - 8);
  const body =
    service === 'git-receive-pack' && asksForSideband(head)
      ? pkt(Buffer.concat([Buffer.from([3]), text]))
      : pkt(Buffer.concat([Buffer.from('ERR ', 'latin1'), text]));
  res.writeHead(200, { 'content-type': `application/x-${service}-result`, 'cache-control': 'no-cache', 'content-length': body.length });
  res.end(body);
}
