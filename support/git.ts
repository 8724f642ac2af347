/**
 * The real git as a child process, one module for every caller: async runners
 * with an environment of the caller's (gitEnv: a HOME of its own, as servers
 * and clients in the tests use), and sync runners with a fixed identity and no
 * user config (GIT_ENV: the git-layer tests that build fixtures).
 *
 * support/ holds what test/ and bench/ both use (child-process git, govc
 * processes, database servers, generated repositories, ssh keys, hand-made
 * packs): benches are not tests and must not import from test/, and none of
 * this ships, so it is not in src/. Compiled with everything else (tsconfig).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** An environment where git reads no user or system config and never prompts. */
export function gitEnv(home: string): NodeJS.ProcessEnv {
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Test\n\temail = test@example.com\n[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n');
  return {
    PATH: process.env.PATH,
    HOME: home,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '',
    SSH_ASKPASS: '',
    LANG: 'C',
  };
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function git(cwd: string, env: NodeJS.ProcessEnv, args: string[], input?: string | Buffer): Promise<GitResult> {
  return new Promise((resolve) => {
    const child = execFile('git', args, { cwd, env, maxBuffer: 256 << 20, encoding: 'utf8' }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

/** Like git() but throws with git's stderr when it fails. */
export async function gitOk(cwd: string, env: NodeJS.ProcessEnv, args: string[], input?: string | Buffer): Promise<string> {
  const r = await git(cwd, env, args, input);
  if (r.code !== 0) throw new Error(`git ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
  return r.stdout;
}

export const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Ada Lovelace',
  GIT_AUTHOR_EMAIL: 'ada@example.com',
  GIT_COMMITTER_NAME: 'Ada Lovelace',
  GIT_COMMITTER_EMAIL: 'ada@example.com',
  LC_ALL: 'C',
};

/** Sync, with GIT_ENV: output as latin1 text; throws when git fails. */
export function gitSync(cwd: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): string {
  return gitBuffer(cwd, args, options).toString('latin1');
}

export function gitBuffer(cwd: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): Buffer {
  return execFileSync('git', args, { cwd, input: options.input, env: { ...GIT_ENV, ...options.env }, maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Runs git and returns its exit status and output without throwing. */
export function gitStatus(cwd: string, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('git', args, { cwd, env: GIT_ENV, encoding: 'latin1', maxBuffer: 1 << 30 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
