/** Runs the real git CLI for tests, with a fixed identity and no user config. */
import { execFileSync, spawnSync } from 'node:child_process';

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

export function git(cwd: string, args: string[], options: { input?: string | Buffer; env?: Record<string, string> } = {}): string {
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
