/**
 * `POST /<repo>.git/git-receive-pack`: reads ref commands and the pack, and
 * keeps the pack in quarantine (a temporary file) while it checks the push:
 * every object as git's receive.fsckObjects does, each command (ref name,
 * fast-forward and its permission, what a branch may point at), and
 * connectivity with the types of links. Only an accepted push stores its
 * entries, as the pack holds them; then refs are updated with the store's
 * compare-and-swap against the old values the client sent, so a concurrent
 * push that moved a ref first makes this one fail cleanly, never lose an
 * update. `atomic` pushes apply all refs in one updateRefs or none.
 */
import type { ServerResponse } from 'node:http';
import { CapacityError, ConflictError, IntegrityError, InvalidArgumentError } from '../../datastore/errors.js';
import { isObjectId } from '../../datastore/hash.js';
import type { DataStore } from '../../datastore/store.js';
import type { RefUpdate, Repository } from '../../datastore/types.js';
import { checkRefName } from '../../datastore/validate.js';
import { checkRefTarget, fsckObject } from '../../git/objects/fsck.js';
import { receivePack, type ReceivedPack } from '../../git/pack/index.js';
import { storePackEntries } from '../../git/transfer/pack-entries.js';
import { QuarantinedObjects } from '../../git/transfer/quarantine.js';
import { atLeast, type Level } from '../auth/permissions.js';
import { badRequest } from '../http-error.js';
import { DEFAULT_LIMITS, LIMIT_SETTINGS, limitMessage, type ServerLimits } from '../limits.js';
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

async function readCommands(reader: PktReader, format: DataStore['objectFormat'], maxCommands: number): Promise<{ commands: Command[]; caps: Set<string> }> {
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
    if (commands.length >= maxCommands) throw badRequest(limitMessage('the number of ref updates in this push', 'maxCommands', maxCommands));
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

/** Ref updates of a non-atomic push written together. */
const REF_CHUNK = 500;

export interface ReceiveOptions {
  level: Level;
  /** Refuse non-fast-forward updates whatever the permission. */
  denyNonFastForwards: boolean;
  /** The server's limits (server.limits); defaults when absent. */
  limits?: ServerLimits;
  /** Where the incoming pack waits while it is checked (the server's own temp directory). */
  tmpDir?: string;
  /** Check every object as git's receive.fsckObjects does. Default true. */
  fsckObjects?: boolean;
}

/** Receives the pack into quarantine: indexed, deltas resolved, every object checked, limits applied. */
async function receiveQuarantined(
  store: DataStore,
  input: AsyncIterable<Buffer>,
  before: ReturnType<typeof tipIds>,
  options: ReceiveOptions,
  limits: ServerLimits,
): Promise<QuarantinedObjects> {
  const format = store.objectFormat;
  const fsck = options.fsckObjects !== false;
  const pack: ReceivedPack = await receivePack(input, {
    format,
    tmpDir: options.tmpDir,
    externalBases: repositoryBases(store, new Walker(store), before),
    objectLimit: { bytes: limits.maxObjectSize, setting: LIMIT_SETTINGS.maxObjectSize },
    onObject: fsck
      ? (id, type, data) => {
          const problems = fsckObject(id, type, data, format);
          if (problems.length > 0) throw new IntegrityError(problems[0].message, { id, problem: problems[0].id });
        }
      : undefined,
  });
  let total = 0;
  for (const e of pack.entries) total += e.size;
  if (total > limits.maxRepositorySize) {
    await pack.close();
    throw new CapacityError(limitMessage(`this push's ${total} bytes of objects`, 'maxRepositorySize', limits.maxRepositorySize));
  }
  return new QuarantinedObjects(store, pack);
}

export async function handleReceivePack(
  store: DataStore,
  repo: Repository,
  body: AsyncIterable<Buffer>,
  res: ServerResponse,
  options: ReceiveOptions,
): Promise<PushResult> {
  const format = store.objectFormat;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const zero = '0'.repeat(format === 'sha256' ? 64 : 40);
  const reader = new PktReader(body);
  const { commands, caps } = await readCommands(reader, format, limits.maxCommands);
  const atomic = caps.has('atomic');
  const result: PushResult = { commands, atomic, objects: 0, packBytes: 0 };
  const sideband = caps.has('side-band-64k') ? 'side-band-64k' : 'none';
  const out = new GitOutput(res, sideband, caps.has('quiet'));

  const before = await readRefs(store, repo, true);
  const current = new Map(before.refs.map((r) => [r.name, r.id]));
  // The refs this push moves, searched first: what a push leaves out of its pack is usually under their old values.
  const oldTips = new Set([...commands.map((c) => c.old).filter((id) => id !== zero && tipIds(before).has(id)), ...tipIds(before)]);

  // The pack follows the commands unless every command is a delete.
  let quarantine: QuarantinedObjects | undefined;
  try {
    if (commands.some((c) => c.new !== zero)) {
      try {
        quarantine = await receiveQuarantined(store, counted(reader.rest(), (n) => (result.packBytes += n)), oldTips, options, limits);
        result.objects = quarantine.pack.entries.length;
      } catch (err) {
        result.unpackError = (err as Error).message.replace(/\n/g, ' ');
      }
    } else {
      for await (const _ of reader.rest()) void _;
    }

    res.writeHead(200, { 'content-type': 'application/x-git-receive-pack-result', 'cache-control': 'no-cache' });
    if (result.unpackError) {
      for (const c of commands) c.error = 'unpacker error';
    } else {
      const walker = new Walker(quarantine ?? store);
      await checkCommands(walker, commands, current, options, zero);
      const live = commands.filter((c) => !c.error);
      const newTips = live.filter((c) => c.new !== zero).map((c) => c.new);
      if (newTips.length > 0 && quarantine) {
        const conn = await checkConnectivity(quarantine, walker, newTips, oldTips);
        const bad = conn.missing.length
          ? 'missing necessary objects'
          : conn.foreign.length
            ? 'objects not reachable in this repository'
            : conn.badLinks.length
              ? conn.badLinks[0].message
              : undefined;
        if (bad) for (const c of live) if (c.new !== zero) c.error = bad;
      }
      if (atomic && commands.some((c) => c.error)) {
        for (const c of commands) if (!c.error) c.error = 'atomic push failed';
      } else {
        const accepted = commands.filter((c) => !c.error);
        if (quarantine && accepted.some((c) => c.new !== zero)) await storeAccepted(store, quarantine, accepted);
        await applyUpdates(store, repo, commands.filter((c) => !c.error), atomic, zero);
      }
      await fixHead(store, repo, commands);
    }
  } finally {
    await quarantine?.pack.close();
  }
  await report(out, result);
  res.end();
  return result;
}

/** Out of quarantine: the pack's entries into the store as they are. A failure refuses every command. */
async function storeAccepted(store: DataStore, quarantine: QuarantinedObjects, accepted: Command[]): Promise<void> {
  try {
    const { pack } = quarantine;
    // Small batches: each is one store write, and an embedded store's write holds the event loop.
    await storePackEntries(store, pack.reader, pack.entries, { verify: false, batchSize: 256, maxBatchBytes: 8 << 20 });
  } catch (err) {
    for (const c of accepted) c.error = `failed to store objects: ${(err as Error).message.replace(/\n/g, ' ')}`;
  }
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
    if (c.new !== zero) {
      const stat = await walker.store.statObject(c.new);
      const refused = stat && checkRefTarget(c.ref, c.new, stat.type);
      if (refused) {
        c.error = refused;
        continue;
      }
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
  // Independent updates: a chunk in one write when none in it conflicts (one round trip, not one per
  // ref; chunks so that no single write holds an embedded store's thread for long), else one by one.
  for (let i = 0; i < commands.length; i += REF_CHUNK) {
    const chunk = commands.slice(i, i + REF_CHUNK);
    try {
      await store.updateRefs(repo.id, chunk.map(update));
      continue;
    } catch (err) {
      if (!(err instanceof ConflictError) || chunk.length === 1) {
        for (const c of chunk) fail(c, err);
        continue;
      }
    }
    for (const c of chunk) {
      try {
        await store.updateRefs(repo.id, [update(c)]);
      } catch (err) {
        fail(c, err);
      }
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
  const known = new Set(branches);
  const pushed = commands.filter((c) => !c.error && known.has(c.ref)).map((c) => c.ref);
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
