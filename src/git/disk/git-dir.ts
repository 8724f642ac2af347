/** Finds the git directory of a repository on disk: a work tree's .git (dir or gitdir file) or a bare repository. */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NotFoundError, UnsupportedError } from '../../datastore/errors.js';
import type { ObjectFormat } from '../../datastore/types.js';

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

export async function findGitDir(path: string): Promise<string> {
  const root = resolve(path);
  const dotGit = join(root, '.git');
  const st = await stat(dotGit).catch(() => undefined);
  if (st?.isDirectory()) return dotGit;
  if (st?.isFile()) {
    const m = /^gitdir: (.+)$/m.exec(await readFile(dotGit, 'utf8'));
    if (m) return resolve(root, m[1].trim());
  }
  if ((await isDir(join(root, 'objects'))) && (await stat(join(root, 'HEAD')).catch(() => undefined))) return root;
  throw new NotFoundError(`${path} is not a git repository (no .git directory, and not a bare repository with HEAD and objects/)`);
}

/** Where objects and shared refs live: a linked worktree's git dir names it in `commondir`. */
export async function commonDir(gitDir: string): Promise<string> {
  const text = await readFile(join(gitDir, 'commondir'), 'utf8').catch(() => undefined);
  return text ? resolve(gitDir, text.trim()) : gitDir;
}

/** The object format from the repository's config (extensions.objectFormat), sha1 by default. */
export async function repositoryObjectFormat(gitDir: string): Promise<ObjectFormat> {
  const config = await readFile(join(gitDir, 'config'), 'utf8').catch(() => '');
  const m = /^\s*objectformat\s*=\s*(\S+)/im.exec(config);
  const format = (m?.[1] ?? 'sha1').toLowerCase();
  if (format !== 'sha1' && format !== 'sha256') throw new UnsupportedError(`object format ${format} is not supported`);
  return format;
}
