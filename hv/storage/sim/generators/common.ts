/** Options every generator takes, and small helpers they share. */
import { Prng } from '../prng.ts';

export interface GeneratorCommon {
  /** PRNG seed: the same options and seed give a byte-identical trace. */
  readonly seed: number;
  /** Bytes per block of the generated requests (default 4096). */
  readonly blockSize: number;
  /** Called now and then with (requests written, requests planned). */
  readonly progress?: (done: number, total: number) => void;
}

export const COMMON_DEFAULTS = { seed: 1, blockSize: 4096 } as const;

export function prngFor(common: GeneratorCommon, stream: number): Prng {
  // Independent streams per purpose, so adding a draw in one place does not shift the others.
  return new Prng((Math.imul(common.seed >>> 0, 0x9e3779b1) ^ Math.imul(stream + 1, 0x85ebca6b)) >>> 0);
}

/** VM names with a fixed width so that they sort: vm01..vm20. */
export function vmName(index: number, count: number): string {
  return `vm${String(index + 1).padStart(Math.max(2, String(count).length), '0')}`;
}

/** Every `every` requests, reports progress. */
export function reportEvery(common: GeneratorCommon, done: number, total: number, every = 65_536): void {
  if (common.progress && (done % every === 0 || done === total)) common.progress(done, total);
}
