/** Parsers for command-line option values; each failure is a UsageError naming the option. */
import { UsageError } from '../errors.ts';

/** Integers from `min` to `max` (default: the largest safe integer), in decimal digits. */
export function parseInteger(option: string, min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${option}: expected an integer ${range}, got "${value}"`);
    return n;
  };
}

export function parseRegex(option: string): (value: string) => RegExp {
  return (value) => {
    try {
      return new RegExp(value);
    } catch (cause) {
      throw new UsageError(`${option}: invalid regular expression "${value}": ${(cause as Error).message}`);
    }
  };
}
