/**
 * Runs the `hv` command line inside the test process (`main(argv)`, what bin/hv.js calls), with
 * stdout and stderr captured: the same argument parsing and error mapping as the real command,
 * without a process start per case (the bad-input table and the fuzzers run thousands).
 */
import { vi } from 'vitest';
import { main } from '../../hv/cli/main.ts';
import type { HvResult } from './hv-cli.ts';

export async function hvInProcess(args: readonly string[]): Promise<HvResult> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const capture = (into: string[]) => (chunk: string | Uint8Array) => {
    into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const out = vi.spyOn(process.stdout, 'write').mockImplementation(capture(stdout) as typeof process.stdout.write);
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(capture(stderr) as typeof process.stderr.write);
  try {
    const status = await main(args);
    return { status, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A Node stack frame ("    at f (file.js:1:2)" or "    at file.js:1:2") or the CLI's internal-error line. */
export const STACK_TRACE = /^\s+at \S.*:\d+:\d+\)?$|internal error/m;
