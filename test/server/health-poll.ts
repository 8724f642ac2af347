/**
 * Polls GET /api/v1/health while a request runs, to show the server answers
 * others meanwhile: the worst latency seen, not one lucky probe. Shared by
 * hardening-objects and hardening-freezes.
 */
import assert from 'node:assert/strict';

export interface HealthPoll {
  /** Health requests answered while `bad` ran. */
  answered: number;
  /** Worst latency in ms. */
  maxMs: number;
  /** How long `bad` ran, in ms. */
  ranMs: number;
}

/**
 * Runs `bad` and, from its start until it settles, sends a health request
 * every `everyMs` (after the previous one is answered). A request sent while
 * `bad` ran counts with its whole latency, even if it is answered after.
 */
export async function pollHealthWhile<T>(url: string, bad: () => Promise<T>, everyMs = 20): Promise<{ result: T; poll: HealthPoll }> {
  let done = false;
  let maxMs = 0;
  let answered = 0;
  const poller = (async () => {
    do {
      const t0 = performance.now();
      const res = await fetch(`${url}/api/v1/health`, { signal: AbortSignal.timeout(60_000) });
      await res.text();
      assert.equal(res.status, 200);
      answered++;
      maxMs = Math.max(maxMs, performance.now() - t0);
      if (!done) await new Promise((r) => setTimeout(r, everyMs));
    } while (!done);
  })();
  const started = performance.now();
  let ranMs = 0;
  try {
    return { result: await bad(), poll: await finish() };
  } catch (err) {
    await finish();
    throw err;
  }
  async function finish(): Promise<HealthPoll> {
    ranMs = performance.now() - started;
    done = true;
    await poller;
    return { answered, maxMs, ranMs };
  }
}

/** The poll saw the server answer, each time within a second. */
export function assertAnsweredWithinASecond(poll: HealthPoll): void {
  assert.ok(poll.answered >= 1, `health was answered at least once while the request ran (${poll.ranMs.toFixed(0)} ms)`);
  assert.ok(poll.maxMs < 1000, `health answered within a second while the request ran (worst ${poll.maxMs.toFixed(0)} ms over ${poll.answered} requests)`);
}
