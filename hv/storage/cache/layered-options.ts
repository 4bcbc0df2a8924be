/**
 * Parameters of the layered policy, their defaults and their validation. Kept apart from the
 * mechanism so that the CLI and the README can refer to one table of defaults.
 */
import { ConfigError } from '../../errors.ts';
import { MIN_CAPACITY } from './policy.ts';

export interface LayeredOptions {
  /** A block referenced by at least this many image files is shared (default 2). */
  readonly sharedReferences?: number;
  /** Share of the capacity for the probation layer L1 (default 0.01, at least one block). */
  readonly probation?: number;
  /** Remembered evicted keys (with their read times), as a share of the capacity (default 1). */
  readonly ghostRatio?: number;
}

export interface ResolvedLayeredOptions {
  readonly sharedReferences: number;
  readonly probationCapacity: number;
  readonly ghostCapacity: number;
}

export const LAYERED_DEFAULTS = {
  sharedReferences: 2,
  probation: 0.01,
  ghostRatio: 1,
} as const;

export function resolveLayeredOptions(capacity: number, options: LayeredOptions): ResolvedLayeredOptions {
  if (capacity < MIN_CAPACITY) fail(`capacity ${capacity} blocks is too small (at least ${MIN_CAPACITY})`);
  const sharedReferences = options.sharedReferences ?? LAYERED_DEFAULTS.sharedReferences;
  if (!Number.isInteger(sharedReferences) || sharedReferences < 1) fail(`shared references: expected an integer >= 1, got ${sharedReferences}`);
  const probation = options.probation ?? LAYERED_DEFAULTS.probation;
  if (!(probation > 0 && probation < 1)) fail(`probation: expected a share 0 < p < 1, got ${probation}`);
  const ghostRatio = options.ghostRatio ?? LAYERED_DEFAULTS.ghostRatio;
  if (!(ghostRatio >= 0)) fail(`ghost ratio: expected >= 0, got ${ghostRatio}`);
  return {
    sharedReferences,
    probationCapacity: Math.min(capacity - 1, Math.max(1, Math.floor(probation * capacity))),
    ghostCapacity: Math.max(1, Math.floor(ghostRatio * capacity)),
  };
}

function fail(message: string): never {
  throw new ConfigError(`layered policy: ${message}`);
}
