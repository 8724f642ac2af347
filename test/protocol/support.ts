/** Shared by the protocol tests: a govc server with a generated repository pushed, and comparisons against git's own upload-pack. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { createRepo, repoUrl } from '../support/server.js';
import { gitEnv, gitOk } from '../../support/git.js';
import { startGovc, type Govc } from '../../support/govc.js';
import { tempDir } from '../../support/temp-dir.js';
import { generateRepo } from './history.js';

export interface ProtocolFixture {
  govc: Govc;
  tmp: { path: string; remove(): void };
  env: NodeJS.ProcessEnv;
  /** The generated repository (git's own upload-pack serves it over file://). */
  source: string;
  url(name?: string): string;
  close(): Promise<void>;
}

export async function protocolFixture(commits = 60): Promise<ProtocolFixture> {
  const tmp = tempDir('govc-protocol-');
  const env = gitEnv(tmp.path);
  const source = join(tmp.path, 'source');
  generateRepo(source, env, commits);
  execFileSync('git', ['config', 'uploadpack.allowFilter', 'true'], { cwd: source, env });
  const govc = await startGovc(['--store', `sqlite://${join(tmp.path, 'govc.db')}`, '--init-admin', 'admin']);
  await createRepo(govc.url, govc.adminToken, 'gen');
  const url = (name = 'gen') => repoUrl(govc.url, name, 'admin', govc.adminToken);
  await gitOk(source, env, ['push', '-q', url(), '--all']);
  await gitOk(source, env, ['push', '-q', url(), '--tags']);
  return {
    govc,
    tmp,
    env,
    source,
    url,
    async close() {
      await govc.stop();
      tmp.remove();
    },
  };
}

export function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

/** What a clone holds, for comparing two clones: its log on every ref, its shallow file, the objects it lacks. */
export async function describeClone(dir: string, env: NodeJS.ProcessEnv): Promise<{ log: string[]; shallow: string[]; missing: string[] }> {
  const log = lines(await gitOk(dir, env, ['log', '--all', '--format=%H %at %s']));
  let shallow: string[] = [];
  try {
    shallow = lines(execFileSync('cat', [join(dir, '.git', 'shallow')], { encoding: 'utf8' })).sort();
  } catch {
    /* not shallow */
  }
  const missing = lines(await gitOk(dir, env, ['-c', 'fetch.negotiationAlgorithm=noop', 'rev-list', '--objects', '--all', '--missing=print']))
    .filter((l) => l.startsWith('?'))
    .sort();
  return { log, shallow, missing };
}
