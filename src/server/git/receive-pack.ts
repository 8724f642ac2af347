/**
 * `POST /<repo>.git/git-receive-pack`: reads ref commands and the pack,
 * stores the objects, checks each command (ref name, fast-forward and its
 * permission, connectivity), then updates refs with the store's
 * compare-and-swap updateRefs against the old values the client sent: a
 * concurrent push that moved a ref first makes this one fail cleanly, never
 * lose an update. `atomic` pushes apply all refs in one updateRefs or none.
 */
import type { ServerResponse } from 'node:http';
import { ConflictError, InvalidArgumentError } from '../../datastore/errors.js';
import { isObjectId } from '../../datastore/hash.js';
import type { DataStore } from '../../datastore/store.js';
import type { ObjectType, RefUpdate, Repository, StoredObject } from '../../datastore/types.js';
import { checkRefName } from '../../datastore/validate.js';
import { receivePack, type ReceivedPack } from '../../git/pack/index.js';
import { atLeast, type Level } from '../auth/permissions.js';
import { badRequest } from '../http-error.js';
import { checkConnectivity, repositoryBases } from './connectivity.js';
import { FLUSH, pkt, PktReader } from './pkt-line.js';
import { readRefs, tipIds } from './refs.js';
import { GitOutput } from './sideband.js';
import { Walker } from './walk.js';

export interface Command {
  old: string;
  new: string;
  ref: string;
  /** Why it was refused; undefined while it may still apply. */
  error?: string;
}

export interface PushResult {
  commands: Command[];
  atomic: boolean;
  objects: number;
  packBytes: number;
  unpackError?: string;
}

const WRITE_BATCH_OBJECTS = 256;
const WRITE_BATCH_BYTES = 8 << 20;

async function readCommands(reader: PktReader, format: DataStore['objectFormat']): Promise<{ commands: Command[]; caps: Set<string> }> {
  const commands: Command[] = [];
  const caps = new Set<string>();
  for (;;) {
    const line = await reader.read();
    if (!line || line.kind !== 'data') break;
    let text = line.data.toString('utf8');
    const nul = text.indexOf('\0');
    if (nul >= 0) {
      for (const c of text.slice(nul + 1).trim().split(' ')) if (c) caps.add(c);
      text = text.slice(0, nul);
    }
    text = text.replace(/\n$/, '');
    if (text.startsWith('shallow ')) throw badRequest('pushes from shallow clones are not supported by this server');
    if (text.startsWith('push-cert')) throw badRequest('signed pushes are not supported by this server');
    const m = /^(\S+) (\S+) (.+)$/.exec(text);
    if (!m || !isObjectId(m[1], format) || !isObjectId(m[2], format)) throw badRequest(`malformed push command ${JSON.stringify(text)}`);
    commands.push({ old: m[1], new: m[2], ref: m[3] });
  }
  return { commands, caps };
}

async function* counted(source: AsyncIterable<Buffer>, add: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    add(chunk.length);
    yield chunk;
  }
}

/** Stores every object of the pack in atomic batches. */
async function storePack(store: DataStore, pack: ReceivedPack): Promise<number> {
  let batch: StoredObject[] = [];
  let bytes = 0;
  let count = 0;
  const flush = async () => {
    if (batch.length) await store.putObjects(batch);
    count += batch.length;
    batch = [];
    bytes = 0;
  };
  for await (const obj of pack.objects()) {
    batch.push(obj);
    bytes += obj.data.byteLength;
    if (batch.length >= WRITE_BATCH_OBJECTS || bytes >= WRITE_BATCH_BYTES) await flush();
  }
  await flush();
  return count;
}

export interface ReceiveOptions {
  level: Level;
  /** Refuse non-fast-forward updates whatever the permission. */
  denyNonFastForwards: boolean;
}

export async function handleReceivePack(
  store: DataStore,
  repo: Repository,
  body: AsyncIterable<Buffer>,
  res: ServerResponse,
  options: ReceiveOptions,
): Promise<PushResult> {
  const format = store.objectFormat;
  const zero = '0'.repeat(format === 'sha256' ? 64 : 40);
  const reader = new PktReader(body);
  const { commands, caps } = await readCommands(reader, format);
  const atomic = caps.has('atomic');
  const result: PushResult = { commands, atomic, objects: 0, packBytes: 0 };
  const sideband = caps.has('side-band-64k') ? 'side-band-64k' : 'none';
  const out = new GitOutput(res, sideband, caps.has('quiet'));

  const before = await readRefs(store, repo, true);
  const current = new Map(before.refs.map((r) => [r.name, r.id]));
  const walker = new Walker(store);

  // The pack follows the commands unless every command is a delete.
  let inPack = new Map<string, ObjectType>();
  if (commands.some((c) => c.new !== zero)) {
    let pack: ReceivedPack | undefined;
    try {
      const externalBases = repositoryBases(store, walker, tipIds(before));
      pack = await receivePack(counted(reader.rest(), (n) => (result.packBytes += n)), { format, externalBases });
      result.objects = await storePack(store, pack);
      inPack = new Map(pack.entries.map((e) => [e.id, e.type]));
    } catch (err) {
      result.unpackError = (err as Error).message.replace(/\n/g, ' ');
    } finally {
      await pack?.close();
    }
  } else {
    for await (const _ of reader.rest()) void _;
  }

  res.writeHead(200, { 'content-type': 'application/x-git-receive-pack-result', 'cache-control': 'no-cache' });
  if (result.unpackError) {
    for (const c of commands) c.error = 'unpacker error';
  } else {
    await checkCommands(walker, commands, current, options, zero);
    const live = commands.filter((c) => !c.error);
    const newTips = live.filter((c) => c.new !== zero).map((c) => c.new);
    if (newTips.length > 0) {
      const conn = await checkConnectivity(store, walker, inPack, newTips, tipIds(before));
      const bad = conn.missing.length ? `missing necessary objects` : conn.foreign.length ? 'objects not reachable in this repository' : undefined;
      if (bad) for (const c of live) if (c.new !== zero) c.error = bad;
    }
    if (atomic && commands.some((c) => c.error)) {
      for (const c of commands) if (!c.error) c.error = 'atomic push failed';
    } else {
      await applyUpdates(store, repo, commands.filter((c) => !c.error), atomic, zero);
    }
    await fixHead(store, repo, commands);
  }
  await report(out, result);
  res.end();
  return result;
}

async function checkCommands(
  walker: Walker,
  commands: Command[],
  current: Map<string, string>,
  options: ReceiveOptions,
  zero: string,
): Promise<void> {
  const seen = new Set<string>();
  for (const c of commands) {
    try {
      checkRefName(c.ref);
      if (c.ref === 'HEAD') throw new InvalidArgumentError('HEAD cannot be pushed to');
    } catch (err) {
      c.error = `funny refname: ${(err as Error).message}`;
      continue;
    }
    if (seen.has(c.ref)) {
      c.error = 'duplicate ref in one push';
      continue;
    }
    seen.add(c.ref);
    const actual = current.get(c.ref) ?? zero;
    if (c.old !== actual) {
      c.error = 'stale info: the ref moved since you fetched; fetch and try again';
      continue;
    }
    if (c.old === zero || c.new === zero) continue;
    if (await walker.isFastForward(c.old, c.new)) continue;
    if (options.denyNonFastForwards) c.error = 'non-fast-forward updates are denied in this repository';
    else if (!atLeast(options.level, 'admin')) c.error = 'non-fast-forward: a forced update needs admin permission on this repository';
  }
}

/** Compare-and-swap against the old values the client sent: all at once (atomic) or one ref at a time. */
async function applyUpdates(store: DataStore, repo: Repository, commands: Command[], atomic: boolean, zero: string): Promise<void> {
  const update = (c: Command): RefUpdate => ({ name: c.ref, old: c.old === zero ? null : c.old, new: c.new === zero ? null : c.new });
  const fail = (c: Command, err: unknown) => {
    c.error = err instanceof ConflictError ? 'failed to lock: the ref was updated by another push; fetch and try again' : `failed to update ref: ${(err as Error).message}`;
  };
  if (commands.length === 0) return;
  if (atomic) {
    try {
      await store.updateRefs(repo.id, commands.map(update));
    } catch (err) {
      for (const c of commands) fail(c, err);
    }
    return;
  }
  for (const c of commands) {
    try {
      await store.updateRefs(repo.id, [update(c)]);
    } catch (err) {
      fail(c, err);
    }
  }
}

/** When HEAD points at a branch that does not exist, point it at main, master or the first branch pushed. */
async function fixHead(store: DataStore, repo: Repository, commands: Command[]): Promise<void> {
  const head = await store.getRef(repo.id, 'HEAD');
  if (head && head.type === 'symbolic' && (await store.getRef(repo.id, head.target))) return;
  if (head && head.type === 'direct') return;
  const branches: string[] = [];
  for await (const r of store.listRefs(repo.id, 'refs/heads/')) branches.push(r.name);
  if (branches.length === 0) return;
  const pushed = commands.filter((c) => !c.error && branches.includes(c.ref)).map((c) => c.ref);
  const target = ['refs/heads/main', 'refs/heads/master'].find((b) => branches.includes(b)) ?? pushed[0] ?? branches[0];
  try {
    await store.updateRefs(repo.id, [{ name: 'HEAD', old: head ? head.target : null, new: target, symbolic: true }]);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
  }
}

async function report(out: GitOutput, result: PushResult): Promise<void> {
  const lines = [pkt(result.unpackError ? `unpack ${result.unpackError}\n` : 'unpack ok\n')];
  for (const c of result.commands) lines.push(pkt(c.error ? `ng ${c.ref} ${c.error}\n` : `ok ${c.ref}\n`));
  lines.push(FLUSH);
  const body = Buffer.concat(lines);
  if (out.multiplexed) {
    await out.data(body);
    await out.write(FLUSH);
  } else {
    await out.write(body);
  }
}
