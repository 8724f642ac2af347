/**
 * receive-pack: reads ref commands (and push options) and the pack, and keeps
 * the pack in quarantine (a temporary file) while it checks the push: every
 * object as git's receive.fsckObjects does, each command (ref name,
 * fast-forward and its permission, what a branch may point at), and
 * connectivity with the types of links. Only an accepted push stores its
 * entries, as the pack holds them; then refs are updated in one write with
 * the store's compare-and-swap (ref-updates.ts). Over SSH the advertisement
 * comes first on the same stream; over HTTP it is served apart.
 */
import { InvalidArgumentError } from '../../datastore/errors.js';
import { zeroId } from '../../datastore/hash.js';
import type { DataStore } from '../../datastore/store.js';
import type { ObjectType } from '../../datastore/types.js';
import { checkRefName } from '../../datastore/validate.js';
import { checkRefTarget } from '../objects/fsck.js';
import type { QuarantinedObjects } from '../transfer/quarantine.js';
import { refAdvertisement } from './advertise.js';
import { checkConnectivity, repositoryBases } from './connectivity.js';
import { ProtocolError } from './errors.js';
import { quarantinePack, storeQuarantined } from './pack-receive.js';
import { FLUSH, pkt, PktReader } from './pkt-line.js';
import { pushEvent } from './push-event.js';
import { asksForSideband, readPushRequest, type Command } from './push-request.js';
import { applyUpdates, fixHead } from './ref-updates.js';
import { readRefs, tipIds } from './refs.js';
import { limitsOf, type ProtocolSession, type Transport } from './session.js';
import { sidebandOf, type GitOutput } from './sideband.js';
import { Walker } from './walk.js';

export type { Command } from './push-request.js';

export interface PushResult {
  commands: Command[];
  atomic: boolean;
  objects: number;
  packBytes: number;
  unpackError?: string;
  /** `git push -o`, in order. */
  options: string[];
  /** The pusher's shallow commits, when it pushed from a shallow clone. */
  shallow: string[];
  /** Whether the session's pushEvent went in the write that moved the refs; when not, the transport records it. */
  eventRecorded: boolean;
}

async function* counted(source: AsyncIterable<Buffer>, add: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    add(chunk.length);
    yield chunk;
  }
}

export async function receivePackV0(session: ProtocolSession, input: AsyncIterable<Buffer>, out: GitOutput, transport: Transport): Promise<PushResult | undefined> {
  const { store, repo } = session;
  if (session.access === 'read') throw new ProtocolError(`you need write permission on ${repo.name} to push`);
  const limits = limitsOf(session);
  const zero = zeroId(store.objectFormat);
  const before = await readRefs(store, repo, true);
  if (!transport.stateless) await out.write(refAdvertisement('git-receive-pack', before, store.objectFormat, { http: false }));
  const reader = new PktReader(input);
  const req = await readPushRequest(reader, store.objectFormat, limits).catch((err) => {
    if (asksForSideband(transport.head?.())) out.multiplex('side-band-64k');
    throw err;
  });
  // Every answer from here on goes on band 1 when asked, and a failure on band 3.
  out.multiplex(sidebandOf(req.caps), req.caps.has('quiet'));
  const { commands } = req;
  // Over SSH, a client with nothing to push just flushes.
  if (commands.length === 0) return undefined;
  const result: PushResult = { commands, atomic: req.caps.has('atomic'), objects: 0, packBytes: 0, options: req.options, shallow: req.shallow, eventRecorded: false };
  const current = new Map(before.refs.map((r) => [r.name, r.id]));
  // The refs this push moves, searched first: what a push leaves out of its pack is usually under their old values.
  const oldTips = new Set([...commands.map((c) => c.old).filter((id) => id !== zero && tipIds(before).has(id)), ...tipIds(before)]);

  // The pack follows the commands unless every command is a delete.
  let quarantine: QuarantinedObjects | undefined;
  try {
    if (commands.some((c) => c.new !== zero)) {
      try {
        quarantine = await quarantinePack(store, counted(reader.rest(), (n) => (result.packBytes += n)), {
          tmpDir: session.tmpDir,
          externalBases: repositoryBases(store, new Walker(store), oldTips),
          fsck: session.fsckObjects !== false,
          limits,
        });
        result.objects = quarantine.pack.entries.length;
      } catch (err) {
        result.unpackError = (err as Error).message.replace(/\n/g, ' ');
      }
    } else if (transport.stateless) {
      // A request body ends: read it out. A stateful client sends nothing after a delete-only
      // command list and waits for the report with its side open, so reading on would hang.
      for await (const _ of reader.rest()) void _;
    }
    if (result.unpackError) {
      for (const c of commands) c.error = 'unpacker error';
    } else {
      const walker = new Walker(quarantine ?? store);
      await checkCommands(walker, commands, current, session, zero);
      if (quarantine) await checkObjects(quarantine, walker, commands, oldTips, new Set(req.shallow), zero);
      if (result.atomic && commands.some((c) => c.error)) {
        for (const c of commands) if (!c.error) c.error = 'atomic push failed';
      } else {
        const accepted = commands.filter((c) => !c.error);
        if (quarantine && accepted.some((c) => c.new !== zero)) await storeAccepted(store, quarantine, accepted);
        const base = session.pushEvent;
        const event = base && (() => pushEvent(base, repo, result));
        result.eventRecorded = await applyUpdates(store, repo, commands, result.atomic, zero, event);
      }
      await fixHead(store, repo, commands);
    }
  } finally {
    await quarantine?.pack.close();
  }
  await report(out, result);
  return result;
}

/** Connectivity of the new tips through the pack; a pusher's shallow commit in the pack refuses the refs that reach it (git's receive.shallowUpdate=false). */
async function checkObjects(quarantine: QuarantinedObjects, walker: Walker, commands: Command[], oldTips: ReadonlySet<string>, shallow: ReadonlySet<string>, zero: string): Promise<void> {
  const live = commands.filter((c) => !c.error && c.new !== zero);
  if (live.length === 0) return;
  const conn = await checkConnectivity(quarantine, walker, live.map((c) => c.new), oldTips, shallow);
  const bad = conn.missing.length
    ? 'missing necessary objects'
    : conn.foreign.length
      ? 'objects not reachable in this repository'
      : conn.badLinks.length
        ? conn.badLinks[0].message
        : undefined;
  if (bad) for (const c of live) c.error = bad;
  else if (conn.shallow.length > 0) {
    for (const c of live) {
      const one = await checkConnectivity(quarantine, walker, [c.new], oldTips, shallow);
      if (one.shallow.length > 0) c.error = 'shallow update not allowed';
    }
  }
}

/** Out of quarantine: the pack's entries into the store as they are. A failure refuses every command. */
async function storeAccepted(store: DataStore, quarantine: QuarantinedObjects, accepted: Command[]): Promise<void> {
  try {
    // Small batches: each is one store write, and an embedded store's write holds the event loop.
    await storeQuarantined(store, quarantine, { batchSize: 256, maxBatchBytes: 8 << 20 });
  } catch (err) {
    for (const c of accepted) c.error = `failed to store objects: ${(err as Error).message.replace(/\n/g, ' ')}`;
  }
}

/** How many object stats go out at once: a push of thousands of refs does not wait on them one by one. */
const STAT_BATCH = 256;

/** The type of every distinct new target (missing ones absent). */
async function statTargets(walker: Walker, commands: Command[], zero: string): Promise<Map<string, ObjectType>> {
  const ids = [...new Set(commands.map((c) => c.new).filter((id) => id !== zero))];
  const types = new Map<string, ObjectType>();
  for (let i = 0; i < ids.length; i += STAT_BATCH) {
    const stats = await Promise.all(ids.slice(i, i + STAT_BATCH).map((id) => walker.store.statObject(id)));
    for (const st of stats) if (st) types.set(st.id, st.type);
  }
  return types;
}

async function checkCommands(walker: Walker, commands: Command[], current: Map<string, string>, session: ProtocolSession, zero: string): Promise<void> {
  const seen = new Set<string>();
  const denyNonFastForwards = session.repo.metadata.denyNonFastForwards === true;
  const types = await statTargets(walker, commands, zero);
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
      const type = types.get(c.new);
      const refused = type && checkRefTarget(c.ref, c.new, type);
      if (refused) {
        c.error = refused;
        continue;
      }
    }
    if (c.old === zero || c.new === zero) continue;
    if (await walker.isFastForward(c.old, c.new)) continue;
    if (denyNonFastForwards) c.error = 'non-fast-forward updates are denied in this repository';
    else if (session.access !== 'admin') c.error = 'non-fast-forward: a forced update needs admin permission on this repository';
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
