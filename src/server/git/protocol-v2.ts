/**
 * Git protocol version 2 for upload-pack (what git 2.26+ asks for with
 * `Git-Protocol: version=2`): a capability advertisement on info/refs, then
 * `command=ls-refs` (refs filtered by prefix, symrefs, peeled tags) and
 * `command=fetch` (acknowledgments, then a packfile section on side-band).
 * Push has no v2 in git; receive-pack stays v0.
 */
import type { ServerResponse } from 'node:http';
import { isObjectId } from '../../datastore/hash.js';
import type { DataStore } from '../../datastore/store.js';
import type { Repository } from '../../datastore/types.js';
import { badRequest } from '../http-error.js';
import { DEFAULT_LIMITS, type ServerLimits } from '../limits.js';
import type { ServerMetrics } from '../metrics.js';
import { AGENT } from './advertise.js';
import { FLUSH, pkt, PktReader } from './pkt-line.js';
import { readRefs } from './refs.js';
import { GitOutput } from './sideband.js';
import { checkCounts, commonCommits, firstForeignWant, sendPack, type UploadPackResult } from './upload-pack.js';
import { Walker } from './walk.js';



export function wantsV2(header: string | string[] | undefined): boolean {
  const value = Array.isArray(header) ? header.join(':') : (header ?? '');
  return value.split(':').includes('version=2');
}

export function advertisementV2(format: DataStore['objectFormat']): Buffer {
  return Buffer.concat([
    pkt('version 2\n'),
    pkt(`${AGENT}\n`),
    pkt('ls-refs=unborn\n'),
    pkt('fetch\n'),
    pkt(`object-format=${format}\n`),
    FLUSH,
  ]);
}

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

export async function uploadPackV2(
  store: DataStore,
  repo: Repository,
  body: AsyncIterable<Buffer>,
  res: ServerResponse,
  metrics: ServerMetrics,
  limits: ServerLimits = DEFAULT_LIMITS,
): Promise<UploadPackResult | undefined> {
  const reader = new PktReader(body);
  const req = await readRequest(reader);
  if (!req) throw badRequest('protocol v2 request without a command');
  if (req.command !== 'ls-refs' && req.command !== 'fetch') throw badRequest(`unknown protocol v2 command ${JSON.stringify(req.command)}`);
  res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result', 'cache-control': 'no-cache' });
  const out = new GitOutput(res, 'none');
  const refs = await readRefs(store, repo, true);

  if (req.command === 'ls-refs') {
    const prefixes = req.args.filter((a) => a.startsWith('ref-prefix ')).map((a) => a.slice('ref-prefix '.length));
    const peel = req.args.includes('peel');
    const symrefs = req.args.includes('symrefs');
    const unborn = req.args.includes('unborn');
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
    await out.write(Buffer.concat(lines));
    res.end();
    return undefined;
  }

  // fetch
  const wants: string[] = [];
  const haves: string[] = [];
  let done = false;
  for (const arg of req.args) {
    const [key, value = ''] = arg.split(' ');
    if (key === 'want' || key === 'have') {
      if (!isObjectId(value, store.objectFormat)) throw badRequest(`${key}: ${JSON.stringify(value)} is not an object id`);
      (key === 'want' ? wants : haves).push(value);
      checkCounts(wants.length, haves.length, limits);
    } else if (key === 'done') done = true;
    else if (key === 'shallow' || key.startsWith('deepen') || key === 'filter' || key === 'want-ref') {
      await out.write(pkt(`ERR ${key} is not supported by this server\n`));
      res.end();
      return undefined;
    }
  }
  const options = new Set(req.args);
  const walker = new Walker(store);
  const foreign = await firstForeignWant(walker, refs, wants);
  if (foreign) {
    await out.write(pkt(`ERR upload-pack: not our ref ${foreign}\n`));
    res.end();
    return undefined;
  }
  const common = [...(await commonCommits(walker, refs, haves))];
  if (!done) {
    // We never claim "ready": the client sends more haves or "done".
    const lines = [pkt('acknowledgments\n')];
    if (common.length === 0) lines.push(pkt('NAK\n'));
    for (const id of common) lines.push(pkt(`ACK ${id}\n`));
    lines.push(FLUSH);
    await out.write(Buffer.concat(lines));
    res.end();
    return undefined;
  }
  await out.write(pkt('packfile\n'));
  const packOut = new GitOutput(res, 'side-band-64k', options.has('no-progress'));
  const result = await sendPack(store, walker, refs, wants, common, packOut, metrics, {
    includeTag: options.has('include-tag'),
    ofsDelta: options.has('ofs-delta'),
    thinPack: options.has('thin-pack'),
  });
  res.end();
  return result;
}


