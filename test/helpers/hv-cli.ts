/** Runs the real `hv` command line as a child process and manages temporary directories. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (cwd of every CLI run). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const FIRMWARE = join(ROOT, 'firmware/build');
export const DEMO = join(ROOT, 'guests/demo.yaml');

export interface HvResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/hv.js ...args` in the repository root (`env`: variables added to this process's). */
export function runHv(args: readonly string[], timeoutMs = 120_000, env?: Record<string, string>): HvResult {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/hv.js'), ...args], {
    cwd: ROOT,
    env: env && { ...process.env, ...env },
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A fresh temporary directory; call the returned `remove` to delete it. */
export function makeTempDir(prefix = 'hvlab-test-'): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The console lines of `hv run` (those starting with `[`), without the summary table. */
export function guestLines(stdout: string): string[] {
  return stdout.split('\n').filter((l) => l.startsWith('['));
}
