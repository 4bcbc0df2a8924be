/**
 * Option values of the cache commands (cache-sim, trace-gen); each failure is a UsageError naming
 * the option. A cache size is a plain number of cache blocks, a number with a binary unit in bytes
 * (`64MiB`, `512KiB`, `1G`; K, M, G, T are binary too), or a percentage of the trace's working set
 * (`5%`: the distinct blocks it reads).
 */
import { UsageError } from '../errors.ts';
import { MAX_CAPACITY } from '../storage/cache/policy.ts';

const UNITS: Record<string, number> = { B: 1, K: 2 ** 10, KIB: 2 ** 10, M: 2 ** 20, MIB: 2 ** 20, G: 2 ** 30, GIB: 2 ** 30, T: 2 ** 40, TIB: 2 ** 40 };

export type SizeValue = { readonly blocks: number } | { readonly bytes: number } | { readonly percent: number };

export function parseSize(option: string): (value: string) => SizeValue {
  return (value) => {
    const match = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*|%)\s*$/.exec(value);
    const unit = match?.[2]?.toUpperCase() ?? '';
    const n = match ? Number(match[1]) : Number.NaN;
    if (!match || (unit !== '' && unit !== '%' && UNITS[unit] === undefined)) {
      throw new UsageError(`${option}: expected a block count, a size with a unit (B, KiB, MiB, GiB) or a percentage of the working set, got "${value}"`);
    }
    if (unit === '%') {
      if (!(n > 0 && n <= 100)) throw new UsageError(`${option}: expected a percentage above 0 and at most 100, got "${value}"`);
      return { percent: n };
    }
    if (unit === '') {
      if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`${option}: expected a positive whole number of blocks, got "${value}"`);
      return { blocks: n };
    }
    const bytes = n * UNITS[unit]!;
    if (!Number.isSafeInteger(bytes) || bytes < 1) throw new UsageError(`${option}: expected a whole positive number of bytes, got "${value}"`);
    return { bytes };
  };
}

/** A comma-separated list of sizes. */
export function parseSizes(option: string): (value: string) => SizeValue[] {
  const one = parseSize(option);
  return (value) => {
    const parts = value.split(',');
    if (parts.some((p) => p.trim() === '')) throw new UsageError(`${option}: expected a comma-separated list of sizes, got "${value}"`);
    return parts.map(one);
  };
}

export function isRelative(size: SizeValue): boolean {
  return 'percent' in size;
}

/**
 * The size in blocks of `blockSize` bytes: bytes must be a whole number of blocks, a percentage
 * is of `workingSet` blocks (rounded, at least `minimum`), and the result must lie in
 * [minimum, MAX_CAPACITY].
 */
export function sizeInBlocks(option: string, size: SizeValue, blockSize: number, minimum: number, workingSet = 0): number {
  let blocks: number;
  if ('blocks' in size) {
    blocks = size.blocks;
  } else if ('bytes' in size) {
    if (size.bytes % blockSize !== 0) throw new UsageError(`${option}: ${size.bytes} bytes is not a whole number of ${blockSize}-byte blocks`);
    blocks = size.bytes / blockSize;
  } else {
    blocks = Math.max(minimum, Math.round((size.percent / 100) * workingSet));
  }
  if (blocks < minimum) throw new UsageError(`${option}: expected at least ${minimum} blocks, got ${blocks}`);
  if (blocks > MAX_CAPACITY) {
    const most = `${MAX_CAPACITY} blocks (${(MAX_CAPACITY * blockSize) / 2 ** 30} GiB of ${blockSize}-byte blocks)`;
    throw new UsageError(`${option}: ${blocks} blocks is more than the simulator can hold; at most ${most}`);
  }
  return blocks;
}

/** Cache block sizes: a power of two from 512 bytes to 1 MiB. */
export function parseBlockSize(option: string): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!(n >= 512 && n <= 2 ** 20 && Number.isInteger(Math.log2(n)))) {
      throw new UsageError(`${option}: expected a power of two from 512 to 1048576 bytes, got "${value}"`);
    }
    return n;
  };
}

/** A number (integer or decimal) within [min, max]. */
export function parseNumber(option: string, min: number, max = Number.POSITIVE_INFINITY): (value: string) => number {
  return (value) => {
    const n = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
    const range = max === Number.POSITIVE_INFINITY ? `>= ${min}` : `from ${min} to ${max}`;
    if (!(n >= min && n <= max)) throw new UsageError(`${option}: expected a number ${range}, got "${value}"`);
    return n;
  };
}

/** One of `choices`. */
export function parseChoice<T extends string>(option: string, choices: readonly T[]): (value: string) => T {
  return (value) => {
    if (!(choices as readonly string[]).includes(value)) throw new UsageError(`${option}: expected one of ${choices.join(', ')}, got "${value}"`);
    return value as T;
  };
}
