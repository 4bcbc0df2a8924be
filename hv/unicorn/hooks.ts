/**
 * Hook trampolines. Every JavaScript function handed to Unicorn goes through {@link HookGuard}:
 * if it throws, the error is recorded, emulation is stopped, and Engine.run() rethrows it after
 * uc_emu_start returns (koffi would otherwise return 0 to C and emulation would carry on, the
 * pattern of the Python binding's `uccallback`). The guard also owns every koffi callback
 * registration so that the engine can release them on close.
 */
import koffi from 'koffi';
import type { TypeObject } from 'koffi';

export class HookGuard {
  private registrations: unknown[] = [];
  private error: unknown = undefined;
  private failed = false;

  constructor(private readonly stopEmulation: () => void) {}

  /**
   * Registers `fn` with koffi as a C callback of `proto`, wrapped so that errors stop emulation.
   * The wrapper takes a fixed number of arguments (callbacks have at most six) instead of a rest
   * parameter: it runs on every trap, and a rest array per call is measurable garbage.
   */
  register<A extends unknown[], R>(proto: TypeObject, fallback: R, fn: (...args: A) => R): unknown {
    const call = fn as unknown as (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown) => R;
    const wrapped = (a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown): R => {
      if (this.failed) return fallback;
      try {
        return call(a, b, c, d, e, f);
      } catch (error) {
        this.fail(error);
        return fallback;
      }
    };
    const pointer = koffi.register(wrapped, koffi.pointer(proto));
    this.registrations.push(pointer);
    return pointer;
  }

  /** Records the first error thrown by a hook and asks Unicorn to stop. */
  fail(error: unknown): void {
    if (!this.failed) {
      this.failed = true;
      this.error = error;
    }
    this.stopEmulation();
  }

  /** Rethrows (once) the error recorded during the last run, if any. */
  rethrow(): void {
    if (!this.failed) return;
    const error = this.error;
    this.failed = false;
    this.error = undefined;
    throw error;
  }

  /** Unregisters every callback; call only after the engine is closed. */
  releaseAll(): void {
    for (const pointer of this.registrations) koffi.unregister(pointer as bigint);
    this.registrations = [];
  }
}
