/**
 * upload-pack, protocol v0/v1: wants (with shallow, deepen and filter lines),
 * then haves in rounds, acknowledged as git does (multi_ack_detailed with
 * "ready", multi_ack or a single ack), then on "done" a pack of what the
 * client lacks. Stateless (smart HTTP) serves one round per request, the
 * client resending its wants and haves; otherwise (SSH) the advertisement
 * comes first and every round runs on the one stream.
 */
import { isObjectId } from '../../datastore/hash.js';
import { refAdvertisement } from './advertise.js';
import { ProtocolError } from './errors.js';
import { parseFilter, type ObjectFilter } from './filter.js';
import { checkCounts, checkWants, commonCommits, readyToSend } from './negotiation.js';
import { FLUSH, pkt, PktReader } from './pkt-line.js';
import { readRefs, type RepoRefs } from './refs.js';
import { sendPack, type UploadPackResult } from './send-pack.js';
import { cloneListsOf, limitsOf, packCacheOf, type ProtocolSession, type Transport } from './session.js';
import { deepens, emptyDeepen, readDeepenLine, shallowInfo, type DeepenRequest } from './shallow.js';
import { sidebandOf, type GitOutput } from './sideband.js';
import { Walker } from './walk.js';

interface WantSection {
  wants: string[];
  caps: Set<string>;
  deepen: DeepenRequest;
  filter?: ObjectFilter;
}

async function readWants(reader: PktReader, session: ProtocolSession): Promise<WantSection> {
  const format = session.store.objectFormat;
  const isId = (s: string) => isObjectId(s, format);
  const req: WantSection = { wants: [], caps: new Set(), deepen: emptyDeepen() };
  for (;;) {
    const line = await reader.readText();
    if (line === undefined || line === null) break;
    const [cmd, arg = '', ...rest] = line.split(' ');
    if (cmd === 'want') {
      if (!isId(arg)) throw new ProtocolError(`want: ${JSON.stringify(arg)} is not an object id`);
      req.wants.push(arg);
      checkCounts(req.wants.length, 0, limitsOf(session));
      if (req.wants.length === 1) for (const c of rest) if (c) req.caps.add(c);
    } else if (cmd === 'filter') {
      req.filter = parseFilter(line.slice('filter '.length));
    } else if (!readDeepenLine(req.deepen, line, isId)) {
      throw new ProtocolError(`unexpected upload-pack line ${JSON.stringify(line)}`);
    }
  }
  // In v0/v1 deepen-relative is a capability, not a line.
  if (req.caps.has('deepen-relative')) req.deepen.relative = true;
  return req;
}

interface HaveRound {
  haves: string[];
  end: 'flush' | 'done' | 'eof';
}

async function readHaves(reader: PktReader, session: ProtocolSession, before: number): Promise<HaveRound> {
  const haves: string[] = [];
  for (;;) {
    const line = await reader.readText();
    if (line === undefined) return { haves, end: 'eof' };
    if (line === null) return { haves, end: 'flush' };
    if (line === 'done') return { haves, end: 'done' };
    const [cmd, arg = ''] = line.split(' ');
    if (cmd !== 'have') throw new ProtocolError(`unexpected upload-pack line ${JSON.stringify(line)}`);
    if (!isObjectId(arg, session.store.objectFormat)) throw new ProtocolError(`have: ${JSON.stringify(arg)} is not an object id`);
    haves.push(arg);
    checkCounts(0, before + haves.length, limitsOf(session));
  }
}

export async function uploadPackV0(session: ProtocolSession, input: AsyncIterable<Buffer>, out: GitOutput, transport: Transport): Promise<UploadPackResult | undefined> {
  const { store } = session;
  let refs: RepoRefs | undefined;
  if (!transport.stateless) {
    refs = await readRefs(store, session.repo, true);
    await out.write(refAdvertisement('git-upload-pack', refs, store.objectFormat, { http: false }));
  }
  const reader = new PktReader(input);
  const req = await readWants(reader, session);
  if (req.wants.length === 0) return undefined;
  refs ??= await readRefs(store, session.repo, true);
  const walker = new Walker(store);
  await checkWants(walker, refs, req.wants);

  const wants = [...req.wants];
  let shallow: Set<string> = new Set(req.deepen.clientShallow);
  if (deepens(req.deepen)) {
    const info = await shallowInfo(walker, refs, req.wants, req.deepen);
    const lines = [...info.shallow.map((id) => pkt(`shallow ${id}\n`)), ...info.unshallow.map((id) => pkt(`unshallow ${id}\n`)), FLUSH];
    await out.write(Buffer.concat(lines));
    wants.push(...info.extraWants);
    shallow = info.boundary;
  }

  // Negotiation, as git's upload-pack does it.
  const multiAck = req.caps.has('multi_ack_detailed') ? 2 : req.caps.has('multi_ack') ? 1 : 0;
  const acked: string[] = [];
  const ackedSet = new Set<string>();
  let haveCount = 0;
  for (;;) {
    const round = await readHaves(reader, session, haveCount);
    haveCount += round.haves.length;
    // A stateless request may end after its wants (a shallow fetch's first round): the shallow lines were its answer.
    if (round.end === 'eof' && round.haves.length === 0) return undefined;
    const common = await commonCommits(walker, refs, round.haves);
    const lines: Buffer[] = [];
    for (const have of round.haves) {
      if (!common.has(have) || ackedSet.has(have)) continue;
      ackedSet.add(have);
      acked.push(have);
      if (multiAck === 2) lines.push(pkt(`ACK ${have} common\n`));
      else if (multiAck === 1) lines.push(pkt(`ACK ${have} continue\n`));
      else if (acked.length === 1) lines.push(pkt(`ACK ${have}\n`));
    }
    if (round.end !== 'done') {
      // multi_ack_detailed: "ready" once the common commits cover every want; the client then sends "done".
      if (multiAck === 2 && acked.length > 0 && (await readyToSend(walker, wants, acked))) lines.push(pkt(`ACK ${acked[acked.length - 1]} ready\n`));
      if (acked.length === 0 || multiAck) lines.push(pkt('NAK\n'));
      await out.write(Buffer.concat(lines));
      if (transport.stateless || round.end === 'eof') return undefined;
      continue;
    }
    if (acked.length > 0) {
      if (multiAck) lines.push(pkt(`ACK ${acked[acked.length - 1]}\n`));
    } else {
      lines.push(pkt('NAK\n'));
    }
    if (lines.length) await out.write(Buffer.concat(lines));
    break;
  }
  out.multiplex(sidebandOf(req.caps), req.caps.has('no-progress'));
  return sendPack(store, walker, refs, wants, acked, out, {
    includeTag: req.caps.has('include-tag'),
    ofsDelta: req.caps.has('ofs-delta'),
    thinPack: req.caps.has('thin-pack'),
    cache: packCacheOf(session),
    lists: cloneListsOf(session),
    shallow,
    filter: req.filter,
  });
}
