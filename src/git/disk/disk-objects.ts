/** Where the objects of an on-disk repository are: packs and loose files, including alternates. */
import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { GitObject } from '../../datastore/types.js';
import { decodeLooseObject } from '../objects/loose.js';

/** The objects directories: the repository's own, then its alternates (recursively). */
export async function objectDirs(gitDir: string): Promise<string[]> {
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    if (out.includes(dir) || out.length > 16) return;
    out.push(dir);
    const text = await readFile(join(dir, 'info', 'alternates'), 'utf8').catch(() => '');
    for (const line of text.split('\n').map((l) => l.trim())) {
      if (line && !line.startsWith('#')) await visit(isAbsolute(line) ? line : resolve(dir, line));
    }
  };
  await visit(join(gitDir, 'objects'));
  return out;
}

/** Paths of the .pack files that have an .idx beside them. */
export async function listPacks(objectsDir: string): Promise<string[]> {
  const names = await readdir(join(objectsDir, 'pack')).catch(() => [] as string[]);
  const set = new Set(names);
  return names
    .filter((n) => n.endsWith('.pack') && set.has(n.replace(/\.pack$/, '.idx')))
    .sort()
    .map((n) => join(objectsDir, 'pack', n));
}

/** Ids of the loose objects. */
export async function listLooseObjects(objectsDir: string): Promise<string[]> {
  const ids: string[] = [];
  for (const dir of (await readdir(objectsDir).catch(() => [] as string[])).sort()) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue;
    for (const file of (await readdir(join(objectsDir, dir)).catch(() => [] as string[])).sort()) {
      if (/^[0-9a-f]{38}([0-9a-f]{24})?$/.test(file)) ids.push(dir + file);
    }
  }
  return ids;
}

export async function readLooseObject(objectsDir: string, id: string): Promise<GitObject> {
  return decodeLooseObject(await readFile(join(objectsDir, id.slice(0, 2), id.slice(2))));
}
