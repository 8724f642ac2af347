/** Refs of an on-disk repository: packed-refs, then loose refs (which win), then HEAD. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Ref } from '../../datastore/types.js';

async function readPackedRefs(gitDir: string, into: Map<string, Ref>): Promise<void> {
  const text = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('^')) continue;
    const space = line.indexOf(' ');
    if (space === 40 || space === 64) into.set(line.slice(space + 1), { name: line.slice(space + 1), type: 'direct', target: line.slice(0, space) });
  }
}

function parseRefFile(name: string, content: string): Ref | undefined {
  const text = content.trim();
  if (text.startsWith('ref: ')) return { name, type: 'symbolic', target: text.slice(5).trim() };
  if (/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(text)) return { name, type: 'direct', target: text };
  return undefined;
}

async function readLooseRefs(gitDir: string, dir: string, into: Map<string, Ref>): Promise<void> {
  const entries = await readdir(join(gitDir, dir), { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const name = `${dir}/${e.name}`;
    if (e.isDirectory()) await readLooseRefs(gitDir, name, into);
    else if (e.isFile() && !e.name.endsWith('.lock')) {
      const ref = parseRefFile(name, await readFile(join(gitDir, name), 'utf8'));
      if (ref) into.set(name, ref);
    }
  }
}

/** Every ref under refs/ plus HEAD, in name order (HEAD first). `common` holds the shared refs of linked worktrees. */
export async function readDiskRefs(gitDir: string, common = gitDir): Promise<Ref[]> {
  const refs = new Map<string, Ref>();
  await readPackedRefs(common, refs);
  await readLooseRefs(common, 'refs', refs);
  const sorted = [...refs.values()].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  const head = parseRefFile('HEAD', await readFile(join(gitDir, 'HEAD'), 'utf8').catch(() => ''));
  return head ? [head, ...sorted] : sorted;
}
