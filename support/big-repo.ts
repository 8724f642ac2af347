/** Generates a repository of many commits quickly with `git fast-import` (for the large clone test and the benchmark). */
import { git } from './git.js';

/**
 * `commits` commits on main (one file changed each, in a few directories),
 * a side branch merged back every 1000 commits, and an annotated tag every 2500.
 */
export function fastImportStream(commits: number): string {
  const parts: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let mark = 0;
  let lastMain = 0;
  const t0 = 1_600_000_000;
  for (let i = 1; i <= commits; i++) {
    const m = ++mark;
    parts.push(`commit refs/heads/main\nmark :${m}\ncommitter Gen <gen@example.com> ${t0 + i * 60} +0000\n${data(`commit ${i}\n`)}`);
    if (lastMain) parts.push(`from :${lastMain}\n`);
    if (i % 1000 === 0 && lastMain) {
      // A side commit on its own branch, merged here: history with merges.
      const side = ++mark;
      parts.push(`M 100644 inline side/${i}.txt\n${data(`side ${i}\n`)}`);
      parts.push(`\ncommit refs/heads/side\nmark :${side}\ncommitter Gen <gen@example.com> ${t0 + i * 60 + 1} +0000\n${data(`side ${i}\n`)}from :${lastMain}\nM 100644 inline side-only/${i}.txt\n${data(`s ${i}\n`)}\n`);
      const merge = ++mark;
      parts.push(`commit refs/heads/main\nmark :${merge}\ncommitter Gen <gen@example.com> ${t0 + i * 60 + 2} +0000\n${data(`merge ${i}\n`)}from :${m}\nmerge :${side}\n\n`);
      lastMain = merge;
      continue;
    }
    parts.push(`M 100644 inline dir${i % 7}/file${i % 53}.txt\n${data(`content ${i}\n`)}\n`);
    lastMain = m;
    if (i % 2500 === 0) parts.push(`tag v${i}\nfrom :${m}\ntagger Gen <gen@example.com> ${t0 + i * 60} +0000\n${data(`release ${i}\n`)}`);
  }
  return parts.join('');
}

export async function makeBigRepo(dir: string, env: NodeJS.ProcessEnv, commits: number): Promise<void> {
  const init = await git(dir, env, ['init', '-q', '-b', 'main', '.']);
  if (init.code !== 0) throw new Error(init.stderr);
  const r = await git(dir, env, ['fast-import', '--quiet'], fastImportStream(commits));
  if (r.code !== 0) throw new Error(`fast-import failed: ${r.stderr}`);
  await git(dir, env, ['reset', '-q', '--hard', 'main']);
}
