/**
 * `POST /<repo>.git/git-upload-pack` (protocol v0/v1, stateless RPC): reads
 * wants and haves, acknowledges common commits (multi_ack_detailed, multi_ack
 * or single ack), and on "done" streams a pack of what the client lacks.
 * Every want must be reachable from the repository's own refs.
 */
import type { ServerResponse } from 'node:http';
import type { DataStore } from '../../datastore/store.js';
import { isObjectId } from '../../datastore/hash.js';
import type { Repository } from '../../datastore/types.js';
import { writeStoredPack } from '../../git/transfer/stored-pack.js';
import { badRequest } from '../http-error.js';
import { DEFAULT_LIMITS, limitMessage, type ServerLimits } from '../limits.js';
import type { ServerMetrics } from '../metrics.js';
import { PktReader, pkt, FLUSH } from './pkt-line.js';
import { readRefs, tipIds, type RepoRefs } from './refs.js';
import { GitOutput } from './sideband.js';
import { Walker, type ObjectToSend } from './walk.js';

interface UploadRequest {
  wants: string[];
  caps: Set<string>;
  haves: string[];
  done: boolean;
  /** The have section ended with a flush (a negotiation round), not "done". */
  flushed: boolean;
}

/** Refuses a request with more wants or haves than the server takes (server.limits). */
export function checkCounts(wants: number, haves: number, limits: Pick<ServerLimits, 'maxWants' | 'maxHaves'>): void {
  if (wants > limits.maxWants) throw badRequest(limitMessage(`a fetch of ${wants} wants`, 'maxWants', limits.maxWants));
  if (haves > limits.maxHaves) throw badRequest(limitMessage(`a fetch of ${haves} haves`, 'maxHaves', limits.maxHaves));
}

async function parseRequest(reader: PktReader, format: DataStore['objectFormat'], limits: ServerLimits): Promise<UploadRequest> {
  const req: UploadRequest = { wants: [], caps: new Set(), haves: [], done: false, flushed: false };
  const id = (s: string, what: string) => {
    if (!isObjectId(s, format)) throw badRequest(`${what}: ${JSON.stringify(s)} is not an object id`);
    return s;
  };
  for (;;) {
    const line = await reader.readText();
    if (line === undefined || line === null) break;
    const [cmd, arg = '', ...rest] = line.split(' ');
    if (cmd === 'want') {
      req.wants.push(id(arg, 'want'));
      checkCounts(req.wants.length, 0, limits);
      if (req.wants.length === 1) for (const c of rest) if (c) req.caps.add(c);
    } else if (cmd === 'shallow' || cmd.startsWith('deepen')) {
      throw badRequest('shallow clones and fetches are not supported by this server; fetch the full history');
    } else if (cmd === 'filter') {
      throw badRequest('partial clone filters are not supported by this server');
    } else {
      throw badRequest(`unexpected upload-pack line ${JSON.stringify(line)}`);
    }
  }
  for (;;) {
    const line = await reader.readText();
    if (line === undefined) break;
    if (line === null) {
      req.flushed = true;
      break;
    }
    if (line === 'done') {
      req.done = true;
      break;
    }
    const [cmd, arg = ''] = line.split(' ');
    if (cmd !== 'have') throw badRequest(`unexpected upload-pack line ${JSON.stringify(line)}`);
    req.haves.push(id(arg, 'have'));
    checkCounts(0, req.haves.length, limits);
  }
  return req;
}

/** The first want not reachable from the repository's refs, if any (objects are global in a store). */
export async function firstForeignWant(walker: Walker, refs: RepoRefs, wants: readonly string[]): Promise<string | undefined> {
  const tips = tipIds(refs);
  const notTips = wants.filter((w) => !tips.has(w));
  if (notTips.length === 0) return undefined;
  const unreachable = await walker.unreachable([...tips], notTips);
  return unreachable.size > 0 ? [...unreachable][0] : undefined;
}

/**
 * The commits a client's "have" names that we share with it: reachable from
 * this repository's refs. A commit of another repository in the same store is
 * never acknowledged, so negotiation tells nothing about other repositories.
 */
export async function commonCommits(walker: Walker, refs: RepoRefs, haves: string[]): Promise<Set<string>> {
  const commits: string[] = [];
  for (let i = 0; i < haves.length; i += 500) {
    const slice = haves.slice(i, i + 500);
    const found = await walker.store.getObjects(slice);
    for (const id of slice) if (found.get(id)?.type === 'commit') commits.push(id);
  }
  return commits.length ? walker.reachableCommits([...tipIds(refs)], commits) : new Set();
}

/** Annotated tags the client did not ask for but whose objects it receives (include-tag). */
function includeTags(refs: RepoRefs, sending: ObjectToSend[]): ObjectToSend[] {
  const ids = new Set(sending.map((o) => o.id));
  const extra: ObjectToSend[] = [];
  for (const r of refs.refs) {
    if (r.peeled && ids.has(r.peeled) && !ids.has(r.id)) {
      ids.add(r.id);
      extra.push({ id: r.id, type: 'tag' });
    }
  }
  return extra;
}

export interface UploadPackResult {
  objects: number;
  bytes: number;
  /** Entries sent as stored, without inflating them. */
  reused: number;
}

export async function uploadPack(
  store: DataStore,
  repo: Repository,
  body: AsyncIterable<Buffer>,
  res: ServerResponse,
  metrics: ServerMetrics,
  limits: ServerLimits = DEFAULT_LIMITS,
): Promise<UploadPackResult | undefined> {
  const reader = new PktReader(body);
  const req = await parseRequest(reader, store.objectFormat, limits);
  res.writeHead(200, { 'content-type': 'application/x-git-upload-pack-result', 'cache-control': 'no-cache' });
  const raw = new GitOutput(res, 'none');
  if (req.wants.length === 0) {
    res.end();
    return undefined;
  }

  const refs = await readRefs(store, repo, true);
  const walker = new Walker(store);
  const foreign = await firstForeignWant(walker, refs, req.wants);
  if (foreign) {
    await raw.write(pkt(`ERR upload-pack: not our ref ${foreign}\n`));
    res.end();
    return undefined;
  }

  // Negotiation, as git's upload-pack does it in stateless mode (we never claim "ready").
  const multiAck = req.caps.has('multi_ack_detailed') ? 2 : req.caps.has('multi_ack') ? 1 : 0;
  const common = await commonCommits(walker, refs, req.haves);
  const acked: string[] = [];
  for (const have of req.haves) {
    if (!common.has(have)) continue;
    acked.push(have);
    if (multiAck === 2) await raw.write(pkt(`ACK ${have} common\n`));
    else if (multiAck === 1) await raw.write(pkt(`ACK ${have} continue\n`));
    else if (acked.length === 1) await raw.write(pkt(`ACK ${have}\n`));
  }
  if (!req.done) {
    if (acked.length === 0 || multiAck) await raw.write(pkt('NAK\n'));
    res.end();
    return undefined;
  }
  if (acked.length > 0) {
    if (multiAck) await raw.write(pkt(`ACK ${acked[acked.length - 1]}\n`));
  } else {
    await raw.write(pkt('NAK\n'));
  }

  const sideband = req.caps.has('side-band-64k') ? 'side-band-64k' : req.caps.has('side-band') ? 'side-band' : 'none';
  const out = new GitOutput(res, sideband, req.caps.has('no-progress'));
  const result = await sendPack(store, walker, refs, req.wants, acked, out, metrics, {
    includeTag: req.caps.has('include-tag'),
    ofsDelta: req.caps.has('ofs-delta'),
    thinPack: req.caps.has('thin-pack'),
  });
  res.end();
  return result;
}

export interface SendOptions {
  includeTag: boolean;
  /** The client takes ofs-deltas (else deltas go out as ref-deltas). */
  ofsDelta: boolean;
  /** The client takes a thin pack: deltas on objects it has. */
  thinPack: boolean;
}

/**
 * Streams the pack for `wants` minus what `common` reaches, then a flush when
 * multiplexed. Stored entries are copied into it as they are (writeStoredPack).
 * On failure after the pack started, tells git on the error channel (when
 * multiplexed) before rethrowing.
 */
export async function sendPack(
  store: DataStore,
  walker: Walker,
  refs: RepoRefs,
  wants: readonly string[],
  common: readonly string[],
  out: GitOutput,
  metrics: ServerMetrics,
  options: SendOptions,
): Promise<UploadPackResult> {
  try {
    await out.progress('Enumerating objects...\n');
    const sending = await walker.objectsToSend(wants, common);
    if (options.includeTag) sending.push(...includeTags(refs, sending));
    await out.progress(`Enumerating objects: ${sending.length}, done.\n`);
    const sink = out.packSink();
    const clientHas = options.thinPack ? (id: string) => walker.clientHas.has(id) : undefined;
    // Objects built afresh get ofs-deltas between versions of one path, when the client takes them.
    const written = await writeStoredPack(store, sending, sink, { format: store.objectFormat, ofsDelta: options.ofsDelta, clientHas, deltas: options.ofsDelta });
    await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (out.multiplexed) await out.write(FLUSH);
    metrics.packBytes.inc({ direction: 'sent' }, written.bytes);
    metrics.packObjects.inc({ direction: 'sent' }, written.count);
    return { objects: written.count, bytes: written.bytes, reused: written.reused };
  } catch (err) {
    // Headers are gone: tell git on the error channel when we can.
    await out.error(`govc: ${(err as Error).message}`).catch(() => undefined);
    throw err;
  }
}
