/**
 * What a fetch sends: the objects its wants reach that its haves do not
 * (minus what a filter or a shallow boundary leaves out), as a pack streamed
 * from stored entries, on side-band when the client asked for it.
 */
import type { Writable } from 'node:stream';
import type { DataStore } from '../../datastore/store.js';
import { EntryStash, STASH_BYTES } from '../transfer/entry-stash.js';
import { writeStoredPack } from '../transfer/stored-pack.js';
import { FLUSH } from './pkt-line.js';
import type { RepoRefs } from './refs.js';
import type { GitOutput } from './sideband.js';
import { cloneKey, sendCachedPack, type CacheUse, type PackCacheOptions } from './pack-cache.js';
import type { SendList } from '../transfer/send-list.js';
import type { SendListOptions, Walker } from './walk.js';
import { cloneObjects, type CloneListOptions, type CloneListUse } from './clone-lists.js';

export interface SendOptions extends SendListOptions {
  includeTag: boolean;
  /** The client takes ofs-deltas (else deltas go out as ref-deltas). */
  ofsDelta: boolean;
  /** The client takes a thin pack: deltas on objects it has. */
  thinPack: boolean;
  /** Where clones' packs are kept for identical clones (absent: none are kept). */
  cache?: { options: PackCacheOptions; repositoryId: string };
  /** Where the object lists of clones are kept (absent: every clone walks). */
  lists?: { options: CloneListOptions; repositoryId: string };
}

export interface UploadPackResult {
  objects: number;
  bytes: number;
  /** Entries sent as stored, without inflating them. */
  reused: number;
  /** `filter` and `deepen` as asked, for logs and metrics. */
  filter?: string;
  shallow?: boolean;
  /** How the pack cache answered, when it was asked. */
  cache?: CacheUse;
  /** How a clone's object list was found, when the lists were asked. */
  list?: CloneListUse;
}

/** Adds the annotated tags the client did not ask for but whose objects it receives (include-tag). */
function includeTags(refs: RepoRefs, sending: SendList): void {
  for (const r of refs.refs) if (r.peeled && sending.has(r.peeled)) sending.push(r.id, 'tag');
}

/** Streams the pack for `wants` minus what `common` reaches to `out` (multiplexed or raw), then a flush when multiplexed. */
export async function sendPack(
  store: DataStore,
  walker: Walker,
  refs: RepoRefs,
  wants: readonly string[],
  common: readonly string[],
  out: GitOutput,
  options: SendOptions,
): Promise<UploadPackResult> {
  let list: CloneListUse | undefined;
  const make = async (sink: Writable) => {
    const made = await makePack(store, walker, refs, wants, common, out, sink, options);
    list = made.list;
    return made;
  };
  // Only a clone (no haves) asks for what its wants alone decide.
  const cache = common.length === 0 ? options.cache : undefined;
  const key = cache && cloneKey({
    repositoryId: cache.repositoryId,
    format: store.objectFormat,
    wants,
    ofsDelta: options.ofsDelta,
    includeTag: options.includeTag,
    tags: refs.refs.filter((r) => r.peeled).map((r) => `${r.id} ${r.peeled}`),
    filter: options.filter?.spec,
    shallow: options.shallow,
  });
  const sent = cache && key ? await sendCachedPack(cache.options, key, out, make) : { ...(await make(out.packSink())), use: undefined };
  const result: UploadPackResult = {
    objects: sent.count,
    bytes: sent.bytes,
    reused: sent.reused,
    filter: options.filter?.spec,
    shallow: options.shallow !== undefined && options.shallow.size > 0,
    ...(sent.use ? { cache: sent.use } : {}),
    ...(list ? { list } : {}),
  };
  if (out.multiplexed) await out.write(FLUSH);
  return result;
}

/** Walks what to send, writes its pack to `sink` and ends it. */
async function makePack(store: DataStore, walker: Walker, refs: RepoRefs, wants: readonly string[], common: readonly string[], out: GitOutput, sink: Writable, options: SendOptions) {
  await out.progress('Enumerating objects...\n');
  // The walk's commit and tree entries go into the pack as read (a clone's are most of its reads).
  const stash = new EntryStash(STASH_BYTES);
  // A clone's objects depend on its wants alone: from the lists when they are kept (the walker's clientHas stays empty).
  const listed = common.length === 0 && !options.filter && !options.shallow?.size && options.lists ? await cloneObjects(store, options.lists, wants, stash) : undefined;
  const sending = listed?.sending ?? (await walker.objectsToSend(wants, common, { ...options, stash }));
  if (options.includeTag) includeTags(refs, sending);
  await out.progress(`Enumerating objects: ${sending.length}, done.\n`);
  const clientHas = options.thinPack ? (id: string) => walker.clientHas.has(id) : undefined;
  // Objects built afresh get ofs-deltas between versions of one path, when the client takes them.
  const written = await writeStoredPack(store, sending, sink, { format: store.objectFormat, ofsDelta: options.ofsDelta, clientHas, deltas: options.ofsDelta, stash });
  await new Promise<void>((resolve, reject) => sink.end((err?: Error | null) => (err ? reject(err) : resolve())));
  return { ...written, ...(listed ? { list: listed.use } : {}) };
}
