/**
 * The suite can fail: every mutant (a store broken on purpose) must make the
 * cases named for it fail, and every case must be failed by some mutant.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { it } from 'node:test';
import { MUTANTS } from './mutants/mutants.js';

const run = promisify(execFile);
const RUNNER = fileURLToPath(new URL('./mutants/run-mutant.js', import.meta.url));

/** Leaf test lines of a TAP report: title -> passed. */
async function runSuite(mutant: string): Promise<Map<string, boolean>> {
  const result = await run(process.execPath, ['--test', '--test-reporter=tap', RUNNER], {
    env: { ...process.env, NODE_TEST_CONTEXT: undefined, MUTANT: mutant },
    maxBuffer: 64 * 1024 * 1024,
    timeout: 180_000,
  }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const cases = new Map<string, boolean>();
  for (const line of result.stdout.split('\n')) {
    const m = /^ {8}(ok|not ok) \d+ - (.*?)(?: # SKIP.*)?$/.exec(line);
    if (m) cases.set(m[2], m[1] === 'ok');
  }
  return cases;
}

it('every case of the compliance suite fails against some deliberately broken store', { timeout: 600_000 }, async () => {
  const failedSomewhere = new Set<string>();
  let allCases: string[] = [];
  const names = Object.keys(MUTANTS);
  // two at a time: the machine has two cores
  for (let i = 0; i < names.length; i += 2) {
    await Promise.all(
      names.slice(i, i + 2).map(async (name) => {
        const cases = await runSuite(name);
        assert.ok(cases.size > 30, `mutant ${name}: the suite ran (${cases.size} cases)`);
        if (cases.size > allCases.length) allCases = [...cases.keys()];
        const failed = [...cases].filter(([, ok]) => !ok).map(([title]) => title);
        for (const want of MUTANTS[name].caughtBy) {
          assert.ok(
            failed.some((title) => title.includes(want)),
            `mutant ${name} should fail a case titled *${want}*; failed: ${failed.join(' | ') || 'none'}`,
          );
        }
        failed.forEach((t) => failedSomewhere.add(t));
      }),
    );
  }
  const neverFailed = allCases.filter((title) => !failedSomewhere.has(title));
  assert.deepEqual(neverFailed, [], 'cases no mutant made fail');
});
