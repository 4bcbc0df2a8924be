/**
 * A progress bar on standard error for long runs (cli-progress), shown only when standard error
 * is a terminal: piped or captured output (tests, scripts) never contains it, and standard output
 * stays reproducible. cli-progress (and node:readline, which it loads) is required only when a bar
 * is shown: a static import would load both at every start of hv (~1-2 ms), for commands that
 * never show one.
 */
import type * as CliProgress from 'cli-progress';
import { createRequire } from 'node:module';

const loadPackage = createRequire(import.meta.url);

export interface Progress {
  update(done: number, total: number): void;
  stop(): void;
}

const NONE: Progress = { update: () => {}, stop: () => {} };

/** A bar labelled `label` when stderr is a TTY and the run is long (`total >= longAt`). */
export function progressBar(label: string, total: number, longAt: number, units: string): Progress {
  if (!process.stderr.isTTY || total < longAt) return NONE;
  const { SingleBar } = loadPackage('cli-progress') as typeof CliProgress;
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
