/**
 * The request half of receive-pack: `shallow` lines (a push from a shallow
 * clone), ref commands with the capabilities on the first, then push options
 * (`push-options`) before the pack. A signed push (`push-cert`) is refused
 * in words git shows: this server keeps no keys to verify one with.
 */
import { isObjectId } from '../../datastore/hash.js';
import type { ObjectFormat } from '../../datastore/types.js';
import { limitMessage, type ProtocolLimits } from './limits.js';
import { ProtocolError } from './errors.js';
import type { PktReader } from './pkt-line.js';

export interface Command {
  old: string;
  new: string;
  ref: string;
  /** Why it was refused; undefined while it may still apply. */
  error?: string;
}

export interface PushRequest {
  commands: Command[];
  caps: Set<string>;
  /** The pusher's shallow commits. */
  shallow: string[];
  /** `git push -o <option>`, in order. */
  options: string[];
}

/** A push option as long as this is refused: they are labels, not payloads. */
const MAX_OPTION = 4096;

export async function readPushRequest(reader: PktReader, format: ObjectFormat, limits: ProtocolLimits): Promise<PushRequest> {
  const req: PushRequest = { commands: [], caps: new Set(), shallow: [], options: [] };
  for (;;) {
    const line = await reader.read();
    if (!line || line.kind !== 'data') break;
    let text = line.data.toString('utf8');
    const nul = text.indexOf('\0');
    if (nul >= 0) {
      for (const c of text.slice(nul + 1).trim().split(' ')) if (c) req.caps.add(c);
      text = text.slice(0, nul);
    }
    text = text.replace(/\n$/, '');
    if (text.startsWith('shallow ') && req.commands.length === 0) {
      const id = text.slice('shallow '.length);
      if (!isObjectId(id, format)) throw new ProtocolError(`shallow: ${JSON.stringify(id)} is not an object id`);
      req.shallow.push(id);
      continue;
    }
    if (text.startsWith('push-cert')) throw new ProtocolError('signed pushes are not accepted by this server (it keeps no keys to verify them); push without --signed');
    const m = /^(\S+) (\S+) (.+)$/.exec(text);
    if (!m || !isObjectId(m[1], format) || !isObjectId(m[2], format)) throw new ProtocolError(`malformed push command ${JSON.stringify(text)}`);
    if (req.commands.length >= limits.maxCommands) throw new ProtocolError(limitMessage('the number of ref updates in this push', 'maxCommands', limits));
    req.commands.push({ old: m[1], new: m[2], ref: m[3] });
  }
  if (req.caps.has('push-options')) {
    for (;;) {
      const line = await reader.read();
      if (!line || line.kind !== 'data') break;
      const option = line.data.toString('utf8').replace(/\n$/, '');
      if (option.length > MAX_OPTION) throw new ProtocolError(`a push option of ${option.length} bytes is over this server's limit of ${MAX_OPTION}`);
      req.options.push(option);
    }
  }
  return req;
}

/** Whether the first command of a push (after any `shallow` lines) asks for side-band, read from the body's first bytes. */
export function asksForSideband(head: Buffer | undefined): boolean {
  for (let pos = 0; head && pos + 4 <= head.length; ) {
    const length = parseInt(head.toString('latin1', pos, pos + 4), 16);
    if (!Number.isInteger(length) || length <= 4) return false;
    const line = head.subarray(pos + 4, Math.min(pos + length, head.length));
    const nul = line.indexOf(0);
    if (nul >= 0) return line.subarray(nul + 1).toString('latin1').split(/[ \n]/).some((cap) => cap === 'side-band' || cap === 'side-band-64k');
    if (!line.toString('latin1').startsWith('shallow ')) return false;
    pos += length;
  }
  return false;
}
