/**
 * Runs a prebuilt image under QEMU's mps2-an386 model, the reference hvlab is compared with,
 * using the command line of firmware/README.md ("Run"), asynchronously and with a timeout.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findOnPath, runProgram } from './host-tools.ts';
import { imagePath } from './run-system.ts';

export const QEMU = findOnPath('qemu-system-arm');

export interface QemuRun {
  /** UART output lines ('\r' stripped; a last unterminated line is kept). */
  lines: string[];
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  timedOut: boolean;
}

export function qemuArgs(image: string): string[] {
  return [
    '-M', 'mps2-an386',
    '-nographic',
    '-monitor', 'none',
    '-serial', 'stdio',
    '-semihosting-config', 'enable=on,target=native',
    '-icount', 'shift=0,align=off,sleep=off',
    '-kernel', imagePath(image),
  ];
}

/** Runs `image` (a name in firmware/build) under QEMU until it exits or `timeoutMs` passes. */
export async function runQemu(image: string, timeoutMs = 30_000): Promise<QemuRun> {
  if (!QEMU) throw new Error('qemu-system-arm is not on PATH');
  // QEMU aborts on a lockup (no-handler images): run it in a scratch directory in case that dumps core.
  const cwd = mkdtempSync(join(tmpdir(), 'hvlab-qemu-'));
  try {
    const result = await runProgram(QEMU, qemuArgs(image), { cwd, timeoutMs });
    const text = result.stdout.replace(/\r/g, '');
    const lines = text.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return { lines, code: result.code, signal: result.signal, stderr: result.stderr, timedOut: result.timedOut };
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}
