/** The layout of a bare repository: HEAD, config, objects/, refs/, packed-refs. */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '../../datastore/errors.js';
import type { ObjectFormat, Ref } from '../../datastore/types.js';

export async function initBareRepository(dir: string, format: ObjectFormat = 'sha1'): Promise<void> {
  const existing = await readdir(dir).catch(() => undefined);
  if (existing && existing.length > 0) throw new InvalidArgumentError(`${dir} exists and is not empty; export needs a new or empty directory`);
  for (const sub of ['objects/pack', 'objects/info', 'refs/heads', 'refs/tags', 'info']) await mkdir(join(dir, sub), { recursive: true });
  const config =
    format === 'sha256'
      ? '[core]\n\trepositoryformatversion = 1\n\tfilemode = true\n\tbare = true\n[extensions]\n\tobjectformat = sha256\n'
      : '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n';
  await writeFile(join(dir, 'config'), config);
  await writeFile(join(dir, 'description'), 'Exported by govc\n');
  await writeFile(join(dir, 'HEAD'), 'ref: refs/heads/main\n');
}

/**
 * Writes HEAD and packed-refs. Direct refs go to packed-refs (sorted); other
 * symbolic refs are written as loose files.
 */
export async function writeRefs(dir: string, refs: readonly Ref[]): Promise<void> {
  const direct = refs.filter((r) => r.type === 'direct' && r.name !== 'HEAD').sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  let packed = '# pack-refs with: sorted \n';
  for (const r of direct) packed += `${r.target} ${r.name}\n`;
  await writeFile(join(dir, 'packed-refs'), packed);
  for (const r of refs) {
    if (r.type !== 'symbolic' || r.name === 'HEAD') continue;
    const path = join(dir, r.name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, `ref: ${r.target}\n`);
  }
  const head = refs.find((r) => r.name === 'HEAD');
  if (head) await writeFile(join(dir, 'HEAD'), head.type === 'symbolic' ? `ref: ${head.target}\n` : `${head.target}\n`);
}
