/** A progress bar for long CLI commands, on a terminal only. */
import cliProgress from 'cli-progress';
import type { ProgressListener } from '../git/index.js';

/** A progress bar on a terminal, nothing otherwise. Returns the listener and a stop function. */
export function progressBar(): { onProgress?: ProgressListener; stop: () => void } {
  if (!process.stderr.isTTY) return { stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { format: '{phase} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true, clearOnComplete: true },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  return {
    onProgress: (p) => {
      if (p.phase !== phase) {
        if (phase) bar.stop();
        phase = p.phase;
        bar.start(Math.max(p.total, p.done, 1), p.done, { phase });
      } else {
        bar.setTotal(Math.max(p.total, p.done, 1));
        bar.update(p.done);
      }
    },
    stop: () => {
      if (phase) bar.stop();
      phase = '';
    },
  };
}

