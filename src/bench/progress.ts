/** Progress of a bench run: a cli-progress bar on a terminal, nothing otherwise. */
import cliProgress from 'cli-progress';

export interface Progress {
  /** A new phase of `total` operations begins. */
  phase(name: string, total: number): void;
  /** `n` more operations of the current phase are done. */
  tick(n?: number): void;
  stop(): void;
}

export const silentProgress: Progress = { phase() {}, tick() {}, stop() {} };

/** A bar on stderr when stderr is a terminal (so `--json > file` and pipes stay clean). */
export function terminalProgress(stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silentProgress;
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: '{phase} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}',
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    phase(name, total) {
      // One bar per phase, so its duration and ETA are the phase's own.
      if (started) bar.stop();
      bar.start(total, 0, { phase: name.padEnd(14) });
      started = true;
    },
    tick(n = 1) {
      if (started) bar.increment(n);
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
