/**
 * A progress bar on standard error for long runs (cli-progress), shown only when standard error
 * is a terminal: piped or captured output (tests, scripts) never contains it, and standard output
 * stays reproducible.
 */
import { SingleBar } from 'cli-progress';

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const NONE: Progress = { update: () => {}, stop: () => {} };

/** A bar labelled `label` when stderr is a TTY and the run is long (`total >= longAt`). */
export function progressBar(label: string, total: number, longAt: number, units: string): Progress {
  if (!process.stderr.isTTY || total < longAt) return NONE;
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${label} [{bar}] {percentage}% | {value}/{total} ${units} | ETA {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: true,
    etaBuffer: 50,
  });
  bar.start(total, 0);
  return {
    update: (done, newTotal) => {
      if (newTotal !== total) bar.setTotal((total = newTotal));
      bar.update(done);
    },
    stop: () => bar.stop(),
  };
}
