/**
 * `hv run` as a child process that keeps running while a test talks to it (a GDB server):
 * resolves once the server's port is printed on stderr.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './hv-cli.ts';

export interface RunningHv {
  readonly child: ChildProcess;
  /** The GDB server's port, from `hv: gdb: guest NAME serves ... on 127.0.0.1:PORT`. */
  readonly port: number;
  /** Resolves when the process ends. */
  readonly done: Promise<{ status: number | null; stdout: string; stderr: string }>;
}

export function startHv(args: readonly string[], options: { stdin?: string } = {}): Promise<RunningHv> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/hv.js'), ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no gdb port announced; stderr: ${stderr}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      const match = /serves the GDB remote protocol on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (match && timer) {
        clearTimeout(timer);
        resolve({ child, port: Number(match[1]), done });
      }
    });
    done.then((r) => reject(new Error(`hv ended before announcing a gdb port (${r.status}): ${r.stderr}`)));
  });
}
