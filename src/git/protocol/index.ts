/**
 * The git protocol engine: upload-pack (fetch, clone; protocol v0/v1 and v2,
 * shallow and partial) and receive-pack (push), driven by streams, whatever
 * carries them. A transport authenticates, builds a ProtocolSession and
 * calls these; every refusal reaches the client in git's own framing.
 */
import type { Writable } from 'node:stream';
import { capabilitiesV2, refAdvertisement, type Service } from './advertise.js';
import { answering } from './errors.js';
import { receivePackV0, type PushResult } from './receive-pack.js';
import { readRefs } from './refs.js';
import type { UploadPackResult } from './send-pack.js';
import type { ProtocolSession, Transport } from './session.js';
import { GitOutput } from './sideband.js';
import { uploadPackV0 } from './upload-pack.js';
import { uploadPackV2 } from './upload-pack-v2.js';

export type { Service } from './advertise.js';
export type { Access, ProtocolSession, Transport } from './session.js';
export type { PushResult, Command } from './receive-pack.js';
export { pushEvent, type PushEventBase } from './push-event.js';
export type { UploadPackResult } from './send-pack.js';
export { ProtocolError, errPacket } from './errors.js';
export { PktReader, pkt, FLUSH, DELIM } from './pkt-line.js';

export type ProtocolVersion = 0 | 1 | 2;

/** The version a client asks for in `Git-Protocol` (HTTP) or `GIT_PROTOCOL` (SSH): `version=2`, else 0. */
export function protocolVersion(value: string | string[] | undefined): ProtocolVersion {
  const text = Array.isArray(value) ? value.join(':') : (value ?? '');
  const asked = text.split(':').filter((p) => p.startsWith('version=')).map((p) => Number(p.slice('version='.length)));
  return asked.includes(2) ? 2 : asked.includes(1) ? 1 : 0;
}

/** Smart HTTP's info/refs body: the ref advertisement (v0/v1, for either service) or v2's capabilities (upload-pack). */
export async function httpAdvertisement(session: ProtocolSession, service: Service, version: ProtocolVersion): Promise<Buffer> {
  if (service === 'git-upload-pack' && version === 2) return capabilitiesV2(session.store.objectFormat);
  const refs = await readRefs(session.store, session.repo, service === 'git-upload-pack');
  return refAdvertisement(service, refs, session.store.objectFormat, { http: true });
}

/**
 * Fetch and clone. Stateless (HTTP): one request's body in, its answer out.
 * Otherwise (SSH): the advertisement first, then the whole conversation.
 * `output` is not ended. Resolves to what was sent, undefined when no pack was.
 */
export function serveUploadPack(
  session: ProtocolSession,
  input: AsyncIterable<Buffer>,
  output: Writable,
  transport: Transport & { version: ProtocolVersion },
): Promise<UploadPackResult | undefined> {
  const out = new GitOutput(output);
  return answering(out, session, () => (transport.version === 2 ? uploadPackV2 : uploadPackV0)(session, input, out, transport));
}

/** Push: commands, options and pack in, report-status out (v0/v1: git has no push in v2). `output` is not ended. */
export function serveReceivePack(session: ProtocolSession, input: AsyncIterable<Buffer>, output: Writable, transport: Transport): Promise<PushResult | undefined> {
  const out = new GitOutput(output);
  return answering(out, session, () => receivePackV0(session, input, out, transport));
}
