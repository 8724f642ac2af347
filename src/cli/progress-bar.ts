/** A progress bar for long CLI commands, on a terminal only: count, rate and, when the total is known, an estimate of the time left. */
import cliProgress from 'cli-progress';
import type { ProgressListener } from '../git/index.js';

const KNOWN = '{phase} [{bar}] {percentage}% {value}/{total} {rate}/s ETA {eta_formatted}';
const UNKNOWN = '{phase} {value} {rate}/s {duration_formatted}';

function rateText(perSecond: number): string {
  return perSecond >= 10_000 ? `${(perSecond / 1000).toFixed(0)}k` : perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(1);
}

/** A progress bar on a terminal, nothing otherwise. Returns the listener and a stop function. */
export function progressBar(): { onProgress?: ProgressListener; stop: () => void } {
  if (!process.stderr.isTTY) return { stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      // A phase without a total (counting) shows its count and rate, not a bar stuck at 100%.
      format: (options, params, payload) =>
        cliProgress.Format.Formatter({ ...options, format: payload.known ? KNOWN : UNKNOWN }, params, payload),
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  let started = 0;
  return {
    onProgress: (p) => {
      const now = performance.now();
      if (p.phase !== phase) {
        if (phase) bar.stop();
        phase = p.phase;
        started = now;
      }
      const payload = { phase, known: p.total > 0, rate: rateText(p.done / Math.max((now - started) / 1000, 0.001)) };
      if (now === started) bar.start(Math.max(p.total, p.done, 1), p.done, payload);
      else {
        bar.setTotal(Math.max(p.total, p.done, 1));
        bar.update(p.done, payload);
      }
    },
    stop: () => {
      if (phase) bar.stop();
      phase = '';
    },
  };
}
