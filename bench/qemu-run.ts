/**
 * Runs an image under `qemu-system-arm -M mps2-an386 -icount shift=0` (QEMU's deterministic
 * mode, the fair comparison for hvlab's exact virtual time) and measures its wall time until the
 * process ends (the image exits through semihosting). Host time is what the benchmark measures:
 * it lives in bench/, never in hv/.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findQemu(): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, 'qemu-system-arm');
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface QemuResult {
  seconds: number;
  lines: string[];
}

export function runQemu(qemu: string, image: string): QemuResult {
  const args = ['-M', 'mps2-an386', '-nographic', '-monitor', 'none', '-serial', 'stdio',
    '-semihosting-config', 'enable=on,target=native', '-icount', 'shift=0,align=off,sleep=off', '-kernel', image];
  const started = process.hrtime.bigint();
  const r = spawnSync(qemu, args, { encoding: 'utf8', timeout: 120_000 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`qemu-system-arm exited with ${r.status}: ${r.stderr}`);
  return { seconds, lines: r.stdout.replace(/\r/g, '').split('\n').filter(Boolean) };
}

/** Wall time of a command (a child process), in seconds. */
export function timeCommand(command: string, args: readonly string[]): number {
  const started = process.hrtime.bigint();
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 120_000 });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0 && r.status !== null) throw new Error(`${command} ${args.join(' ')} exited with ${r.status}: ${r.stderr}`);
  return seconds;
}
