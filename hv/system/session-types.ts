/** The session API's option and result types (session.ts re-exports them). */
import type { GuestImage } from '../core/image.ts';
import type { SystemConfig } from '../core/system-config.ts';
import type { CostTable } from '../time/cost-model.ts';
import type { LogOptions } from '../trace/event-log.ts';
import type { GuestReport } from '../trace/stats-file.ts';

export interface SessionOptions {
  /** Overrides the system's core count. */
  cores?: number;
  /** Keep trace events (for events() and writeTrace()). */
  trace?: boolean;
  /** Most trace events kept (default 2,000,000); later ones are only counted (stats stay complete). */
  traceLimit?: number;
  /** A cost table instead of the system's. */
  costs?: CostTable;
  /** Consecutive faults at one PC after which a guest is stopped (default 16). */
  faultLoopLimit?: number;
  /** Record the guests' block requests into this file (hv cache-sim's hvlab CSV). */
  diskTrace?: string;
  /** Called with every complete console line as it is printed. */
  onConsole?(guest: string, line: string): void;
  /** I/O lanes for guests with an io-path added while it runs (addGuest); default none. */
  ioLanes?: number;
  /** An execution log (categories, guests, where lines go); code addresses named by the images' symbols. */
  log?: Omit<LogOptions, 'symbolize'>;
}

/** What a restored session may choose (the rest comes from the checkpoint). */
export interface RestoreOptions extends Pick<SessionOptions, 'trace' | 'traceLimit' | 'onConsole' | 'log' | 'diskTrace'> {
  /** The system the checkpoint must hold (a mismatched checkpoint is refused before anything is touched). */
  expect?: SystemConfig;
}

/** Where a run stops (besides every guest having stopped). */
export interface RunLimit {
  /** Virtual time (cycles since boot) at which to stop. */
  cycles?: number;
  /** Stop after a console line that matches. */
  line?: RegExp;
  /**
   * With `cycles`: true (default) stops every core at exactly that time; false stops at the first
   * step boundary at or after it, without shortening any step, so that the run goes on exactly
   * as one that did not stop (take checkpoints there: a restore then gives the uninterrupted run).
   */
  exact?: boolean;
}

/** Where and when a guest added to a running session runs. */
export interface AddGuestOptions {
  /** Its core (default: the core with the fewest live guests, the lowest on a tie). */
  core?: number;
  /** Virtual time before which it does not run (default: its core's present). */
  at?: number;
  /** The image, already read (default: read from the entry's `image`). */
  image?: GuestImage;
}

/** A guest's stats-file record and when it stopped. */
export interface GuestStatus {
  readonly report: GuestReport;
  /** Virtual time at which it halted, faulted or was ended; null while it runs. */
  readonly endedAt: number | null;
}

/**
 * Something attached to a session that needs it between steps (a debugger serving its
 * connection, hv/debug): polled when no guest code runs, told when the run finishes for good,
 * closed with the session.
 */
export interface SessionAttachment {
  /** Looks at its connection; may hold the whole system still (nothing else runs meanwhile). */
  poll(): void;
  /** The run ended for good (`idle`: with live guests that wait for nothing). */
  finish(idle: boolean): void;
  close(): void;
}

export interface ConsoleLine {
  readonly guest: string;
  readonly line: string;
}
