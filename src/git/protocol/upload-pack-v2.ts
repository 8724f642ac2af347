/**
 * upload-pack, protocol v2 (what git 2.26+ asks for with `version=2`):
 * `command=ls-refs` (refs filtered by prefix, symrefs, peeled tags, unborn
 * HEAD) and `command=fetch` (acknowledgments, or a shallow-info section and
 * a packfile section on side-band). Stateless (smart HTTP) serves one command
 * per request; otherwise (SSH) the capability advertisement comes first and
 * commands follow until the client hangs up.
 */
import { isObjectId } from '../../datastore/hash.js';
import { capabilitiesV2 } from './advertise.js';
import { ProtocolError } from './errors.js';
import { parseFilter, type ObjectFilter } from './filter.js';
import { checkCounts, checkWants, commonCommits, readyToSend } from './negotiation.js';
import { FLUSH, DELIM, pkt, PktReader } from './pkt-line.js';
import { readRefs, type RepoRefs } from './refs.js';
import { sendPack, type UploadPackResult } from './send-pack.js';
import { cloneListsOf, limitsOf, packCacheOf, type ProtocolSession, type Transport } from './session.js';
import { deepens, emptyDeepen, readDeepenLine, shallowInfo } from './shallow.js';
import type { GitOutput } from './sideband.js';
import { Walker } from './walk.js';

interface V2Request {
  command: string;
  args: string[];
}

async function readRequest(reader: PktReader): Promise<V2Request | undefined> {
  let command: string | undefined;
  const args: string[] = [];
  let inArgs = false;
  for (;;) {
    const line = await reader.read();
    if (!line || line.kind === 'flush') break;
    if (line.kind === 'delim') {
      inArgs = true;
      continue;
    }
    const text = line.data.toString('utf8').replace(/\n$/, '');
    if (inArgs) args.push(text);
    else if (text.startsWith('command=')) command = text.slice('command='.length);
  }
  return command === undefined ? undefined : { command, args };
}

export async function uploadPackV2(session: ProtocolSession, input: AsyncIterable<Buffer>, out: GitOutput, transport: Transport): Promise<UploadPackResult | undefined> {
  if (!transport.stateless) await out.write(capabilitiesV2(session.store.objectFormat));
  const reader = new PktReader(input);
  let result: UploadPackResult | undefined;
  for (;;) {
    const req = await readRequest(reader);
    if (!req) {
      if (transport.stateless) throw new ProtocolError('protocol v2 request without a command');
      return result;
    }
    const refs = await readRefs(session.store, session.repo, true);
    if (req.command === 'ls-refs') await out.write(lsRefs(refs, req.args));
    else if (req.command === 'fetch') result = (await fetch(session, refs, req.args, out)) ?? result;
    else throw new ProtocolError(`unknown protocol v2 command ${JSON.stringify(req.command)}`);
    if (transport.stateless) return result;
  }
}

function lsRefs(refs: RepoRefs, args: string[]): Buffer {
  const prefixes = args.filter((a) => a.startsWith('ref-prefix ')).map((a) => a.slice('ref-prefix '.length));
  const peel = args.includes('peel');
  const symrefs = args.includes('symrefs');
  const unborn = args.includes('unborn');
  const wanted = (name: string) => prefixes.length === 0 || prefixes.some((p) => name.startsWith(p));
  const lines: Buffer[] = [];
  if (wanted('HEAD')) {
    const target = symrefs && refs.headTarget ? ` symref-target:${refs.headTarget}` : '';
    if (refs.headId) lines.push(pkt(`${refs.headId} HEAD${target}\n`));
    else if (unborn && refs.headTarget) lines.push(pkt(`unborn HEAD${target}\n`));
  }
  for (const r of refs.refs) {
    if (!wanted(r.name)) continue;
    lines.push(pkt(`${r.id} ${r.name}${peel && r.peeled ? ` peeled:${r.peeled}` : ''}\n`));
  }
  lines.push(FLUSH);
  return Buffer.concat(lines);
}

async function fetch(session: ProtocolSession, refs: RepoRefs, args: string[], out: GitOutput): Promise<UploadPackResult | undefined> {
  const { store } = session;
  const isId = (s: string) => isObjectId(s, store.objectFormat);
  const wants: string[] = [];
  const haves: string[] = [];
  const options = new Set<string>();
  const deepen = emptyDeepen();
  let filter: ObjectFilter | undefined;
  let done = false;
  for (const arg of args) {
    const space = arg.indexOf(' ');
    const key = space < 0 ? arg : arg.slice(0, space);
    const value = space < 0 ? '' : arg.slice(space + 1);
    if (key === 'want' || key === 'have') {
      if (!isId(value)) throw new ProtocolError(`${key}: ${JSON.stringify(value)} is not an object id`);
      (key === 'want' ? wants : haves).push(value);
      checkCounts(wants.length, haves.length, limitsOf(session));
    } else if (key === 'done') done = true;
    else if (key === 'filter') filter = parseFilter(value);
    else if (key === 'want-ref') throw new ProtocolError('want-ref is not supported by this server');
    else if (!readDeepenLine(deepen, arg, isId)) options.add(arg);
  }
  const walker = new Walker(store);
  await checkWants(walker, refs, wants);
  const common = [...(await commonCommits(walker, refs, haves))];
  if (haves.length > 0 && !done) {
    // "ready" when the common commits cover every want: the pack follows in this response.
    const ready = await readyToSend(walker, wants, common);
    const lines = [pkt('acknowledgments\n')];
    if (common.length === 0) lines.push(pkt('NAK\n'));
    for (const id of common) lines.push(pkt(`ACK ${id}\n`));
    lines.push(ready ? pkt('ready\n') : FLUSH, ...(ready ? [DELIM] : []));
    await out.write(Buffer.concat(lines));
    if (!ready) return undefined;
  }
  const sendWants = [...wants];
  let shallow: Set<string> = new Set(deepen.clientShallow);
  if (deepens(deepen) || deepen.clientShallow.length > 0) {
    const lines = [pkt('shallow-info\n')];
    if (deepens(deepen)) {
      const info = await shallowInfo(walker, refs, wants, deepen);
      for (const id of info.shallow) lines.push(pkt(`shallow ${id}\n`));
      for (const id of info.unshallow) lines.push(pkt(`unshallow ${id}\n`));
      sendWants.push(...info.extraWants);
      shallow = info.boundary;
    }
    lines.push(DELIM);
    await out.write(Buffer.concat(lines));
  }
  await out.write(pkt('packfile\n'));
  out.multiplex('side-band-64k', options.has('no-progress'));
  const result = await sendPack(store, walker, refs, sendWants, common, out, {
    includeTag: options.has('include-tag'),
    ofsDelta: options.has('ofs-delta'),
    thinPack: options.has('thin-pack'),
    cache: packCacheOf(session),
    lists: cloneListsOf(session),
    shallow,
    filter,
  });
  out.multiplex('none');
  return result;
}
