/**
 * A generated repository for the protocol tests, written with git
 * fast-import (fast, and dates fixed so every order is stable): `commits`
 * commits on main, a side branch merged back every ten, files three
 * directories deep, blobs from a few bytes to tens of KiB (for blob:limit),
 * annotated tags every fifteen commits and a second branch, `other`, whose
 * files main never has (for checkouts in a partial clone).
 */
import { execFileSync } from 'node:child_process';

export const START = 1_600_000_000;
export const STEP = 86_400;

export function generateRepo(dir: string, env: NodeJS.ProcessEnv, commits: number): void {
  execFileSync('git', ['init', '-q', '-b', 'main', dir], { env });
  const parts: string[] = [];
  let mark = 0;
  const blob = (text: string) => {
    const m = ++mark;
    parts.push(`blob\nmark :${m}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
    return m;
  };
  const commit = (ref: string, i: number, files: Array<[string, number]>, from?: number, merge?: number) => {
    const m = ++mark;
    const when = `${START + i * STEP} +0000`;
    const msg = `commit ${i} on ${ref}`;
    parts.push(
      `commit ${ref}\nmark :${m}\nauthor A U Thor <a@example.com> ${when}\ncommitter C O Mitter <c@example.com> ${when}\ndata ${msg.length}\n${msg}\n` +
        (from ? `from :${from}\n` : '') +
        (merge ? `merge :${merge}\n` : '') +
        files.map(([path, b]) => `M 100644 :${b} ${path}\n`).join('') +
        '\n',
    );
    return m;
  };
  let main: number | undefined;
  let side: number | undefined;
  for (let i = 0; i < commits; i++) {
    const size = i % 5 === 0 ? 20_000 + i * 97 : 10 + i;
    const body = `version ${i}\n${'x'.repeat(size)}\n`;
    const files: Array<[string, number]> = [[`src/d${i % 3}/sub${i % 2}/file${i % 4}.txt`, blob(body)], ['README', blob(`readme ${i}\n`)]];
    if (i % 10 === 5) {
      side = commit('refs/heads/side', i, [[`side/s${i}.txt`, blob(`side ${i}\n`)]], main);
    }
    main = commit('refs/heads/main', i, files, main, i % 10 === 9 ? side : undefined);
    if (i % 15 === 14) parts.push(`tag v${i}\nfrom :${main}\ntagger T <t@example.com> ${START + i * STEP} +0000\ndata 4\ntag\n\n`);
  }
  commit('refs/heads/other', commits, [[`other/only-here.txt`, blob('only on other\n'.repeat(50))]], main);
  execFileSync('git', ['fast-import', '--quiet'], { cwd: dir, env, input: parts.join('') });
  execFileSync('git', ['checkout', '-q', 'main'], { cwd: dir, env });
}
