/** A repository's refs as git advertises them: HEAD first, then by name, with peeled tags. */
import type { DataStore } from '../../datastore/store.js';
import type { Repository } from '../../datastore/types.js';
import { peelTags } from '../store/peel.js';

export interface AdvertisedRef {
  name: string;
  id: string;
  /** For annotated tags: the object the tag finally points at. */
  peeled?: string;
}

export interface RepoRefs {
  /** Direct refs by name order (HEAD excluded). */
  refs: AdvertisedRef[];
  /** HEAD's target ref name when HEAD is symbolic. */
  headTarget?: string;
  /** HEAD's object id when it resolves. */
  headId?: string;
}

export async function readRefs(store: DataStore, repo: Repository, peel: boolean): Promise<RepoRefs> {
  const refs: AdvertisedRef[] = [];
  let headTarget: string | undefined;
  let headDirect: string | undefined;
  for await (const ref of store.listRefs(repo.id)) {
    if (ref.name === 'HEAD') {
      if (ref.type === 'symbolic') headTarget = ref.target;
      else headDirect = ref.target;
      continue;
    }
    // Symbolic refs other than HEAD are rare; they are advertised by git as their resolved value, but we skip them.
    if (ref.type === 'direct') refs.push({ name: ref.name, id: ref.target });
  }
  const head = (await store.getRef(repo.id, 'HEAD')) ?? undefined;
  if (head?.type === 'symbolic') headTarget = head.target;
  const headId = headTarget ? refs.find((r) => r.name === headTarget)?.id : headDirect;
  if (peel) {
    const tagged = refs.filter((r) => r.name.startsWith('refs/tags/'));
    const objects = await store.getObjects([...new Set(tagged.map((r) => r.id))]);
    const source = { getObject: async (id: string) => objects.get(id) ?? store.getObject(id) };
    for (const r of tagged) {
      const peeled = await peelTags(source, r.id);
      if (peeled && peeled.tags.length > 0) r.peeled = peeled.id;
    }
  }
  return { refs, headTarget, headId };
}

/** Every id a client may start from: ref tips and the objects their tags peel to. */
export function tipIds(state: RepoRefs): Set<string> {
  const ids = new Set<string>();
  for (const r of state.refs) {
    ids.add(r.id);
    if (r.peeled) ids.add(r.peeled);
  }
  if (state.headId) ids.add(state.headId);
  return ids;
}
