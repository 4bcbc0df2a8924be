/**
 * Parameters of the layered policy, their defaults and their validation. Kept apart from the
 * mechanism so that the CLI and the README can refer to one table of defaults.
 */
import { ConfigError } from '../../errors.ts';
import { MIN_CAPACITY } from './policy.ts';

export interface LayeredOptions {
  /** Number of layers, 2..8 (default 3). Layer 0 is the hottest; the last one evicts. */
  readonly layers?: number;
  /**
   * Sizes of the layers above the last, as shares of the capacity, top first; the last layer
   * gets the rest. Default: 9/10 of the cache split evenly over the upper layers (3 layers:
   * 0.45, 0.45, last 0.10), so that blocks read once by one VM pass through a tenth of the cache
   * (as in S3-FIFO's small queue) while blocks that proved hot or shared keep the rest.
   */
  readonly layerShares?: readonly number[];
  /**
   * A block whose smoothed read interval (cycles) is at most this is hot. 'auto' (default): per
   * layer, how long an unread block survives in it (the mean time since the last read of the
   * blocks it demoted or evicted), so that a block is hot for a layer when it will be read again
   * before that layer would push it out; it follows the trace's own time scale.
   */
  readonly hotInterval?: number | 'auto';
  /** A block referenced by at least this many image files is shared (default 2). */
  readonly sharedReferences?: number;
  /** Weight of the newest interval in the smoothed interval, 0 < w <= 1 (default 0.5). */
  readonly smoothing?: number;
  /** Remembered evicted keys (with their read times), as a share of the capacity (default 1). */
  readonly ghostRatio?: number;
  /** Hot blocks at a layer's tail spared per demotion or eviction, 0..64 (default 4). */
  readonly secondChances?: number;
}

export interface ResolvedLayeredOptions {
  readonly layerCapacities: number[];
  readonly hotInterval: number | 'auto';
  readonly sharedReferences: number;
  readonly smoothing: number;
  readonly ghostCapacity: number;
  readonly secondChances: number;
}

export const LAYERED_DEFAULTS = {
  layers: 3,
  upperShare: 0.9,
  hotInterval: 'auto',
  sharedReferences: 2,
  smoothing: 0.5,
  ghostRatio: 1,
  secondChances: 4,
} as const;

export const MAX_LAYERS = 8;

export function resolveLayeredOptions(capacity: number, options: LayeredOptions): ResolvedLayeredOptions {
  const layers = options.layers ?? (options.layerShares ? options.layerShares.length + 1 : LAYERED_DEFAULTS.layers);
  if (!Number.isInteger(layers) || layers < 2 || layers > MAX_LAYERS) fail(`layers: expected an integer 2..${MAX_LAYERS}, got ${layers}`);
  const shares = options.layerShares ?? Array(layers - 1).fill(LAYERED_DEFAULTS.upperShare / (layers - 1));
  if (shares.length !== layers - 1) fail(`layer shares: expected ${layers - 1} values (one per layer above the last), got ${shares.length}`);
  const sum = shares.reduce((a, b) => a + b, 0);
  if (shares.some((s) => !(s > 0)) || !(sum < 1)) fail(`layer shares: expected positive values summing to less than 1, got ${shares.join(',')}`);
  if (capacity < Math.max(MIN_CAPACITY, 2 * layers)) fail(`capacity ${capacity} blocks is too small for ${layers} layers`);
  const upper = shares.map((s) => Math.max(1, Math.floor(s * capacity)));
  const last = capacity - upper.reduce((a, b) => a + b, 0);
  if (last < 1) fail(`layer shares ${shares.join(',')} leave no room for the last layer at capacity ${capacity}`);
  const hotInterval = options.hotInterval ?? LAYERED_DEFAULTS.hotInterval;
  if (hotInterval !== 'auto' && !(hotInterval >= 0)) fail(`hot interval: expected cycles >= 0 or 'auto', got ${hotInterval}`);
  const sharedReferences = options.sharedReferences ?? LAYERED_DEFAULTS.sharedReferences;
  if (!Number.isInteger(sharedReferences) || sharedReferences < 1) fail(`shared references: expected an integer >= 1, got ${sharedReferences}`);
  const smoothing = options.smoothing ?? LAYERED_DEFAULTS.smoothing;
  if (!(smoothing > 0 && smoothing <= 1)) fail(`smoothing: expected 0 < w <= 1, got ${smoothing}`);
  const ghostRatio = options.ghostRatio ?? LAYERED_DEFAULTS.ghostRatio;
  if (!(ghostRatio >= 0)) fail(`ghost ratio: expected >= 0, got ${ghostRatio}`);
  const secondChances = options.secondChances ?? LAYERED_DEFAULTS.secondChances;
  if (!Number.isInteger(secondChances) || secondChances < 0 || secondChances > 64) fail(`second chances: expected an integer 0..64, got ${secondChances}`);
  return {
    secondChances,
    layerCapacities: [...upper, last],
    hotInterval,
    sharedReferences,
    smoothing,
    ghostCapacity: Math.max(1, Math.floor(ghostRatio * capacity)),
  };
}

function fail(message: string): never {
  throw new ConfigError(`layered policy: ${message}`);
}
