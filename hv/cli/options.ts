/** Parsers for command-line option values; each failure is a UsageError naming the option. */
import { UsageError } from '../errors.ts';

export function parseInteger(option: string, min: number): (value: string) => number {
  return (value) => {
    const n = /^\d+$/.test(value.trim()) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min) throw new UsageError(`${option}: expected an integer >= ${min}, got "${value}"`);
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
