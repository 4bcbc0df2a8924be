/**
 * Shutdown that never stops half-way: every step runs even when an earlier one throws, and the
 * first error is thrown afterwards. Closing disks after a trace writer failed (a full device) is
 * what keeps acknowledged writes on disk.
 */
export function runAll(steps: Iterable<() => void>): void {
  let first: { error: unknown } | undefined;
  for (const step of steps) {
    try {
      step();
    } catch (error) {
      first ??= { error };
    }
  }
  if (first) throw first.error;
}
