/** Runs `fn`, which must throw an instance of `kind` (with `code`, when given); returns the error. */
import { expect } from 'vitest';

export function thrown<E extends Error>(fn: () => unknown, kind: abstract new (...args: never[]) => E, code?: string): E {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(kind);
    if (code !== undefined) expect((error as E & { code?: string }).code).toBe(code);
    return error as E;
  }
  throw new Error(`expected a ${kind.name}, nothing was thrown`);
}

/** Awaits `fn`, which must reject with an instance of `kind` (with `code`, when given); returns the error. */
export async function rejected<E extends Error>(fn: () => Promise<unknown>, kind: abstract new (...args: never[]) => E, code?: string): Promise<E> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(kind);
    if (code !== undefined) expect((error as E & { code?: string }).code).toBe(code);
    return error as E;
  }
  throw new Error(`expected a ${kind.name}, nothing was thrown`);
}
