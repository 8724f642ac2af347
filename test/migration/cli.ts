/** The built govc CLI in a child process, for the migration tests. */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI as MAIN } from '../../support/govc.js';


export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts govc; `done` resolves when it exits (a run over `timeoutMs` is killed). */
export function startGovc(args: string[], timeoutMs = 120_000): { child: ChildProcess; done: Promise<Result> } {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL' });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Result>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, stdout, stderr }));
  });
  return { child, done };
}

export function govc(...args: string[]): Promise<Result> {
  return startGovc(args).done;
}
