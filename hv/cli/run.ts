/**
 * `hv run <image.elf | system.yaml>`: boots the guests, prints each console line as
 * `[name] text`, optionally serves gdb, feeds UART input, writes an execution log, a trace
 * (Chrome/Perfetto JSON) and a stats file, and ends with a summary table (or, with --json, the
 * summary as JSON). It can save the whole running system to a checkpoint and go on from one
 * (run-checkpoint.ts). Exit status 0; 3 when at least one guest faulted and was stopped; 4 when
 * --timeout stopped the run; 2 for bad input; 130 (SIGINT) or 143 (SIGTERM) when a signal stopped
 * it (hv/cli/shutdown-signals.ts: the run stops at the next slice boundary and shuts down as any
 * run does). The command's work is in run-command.ts, imported when the command runs (start-up
 * loads only what the command line needs).
 */
import type { Command } from 'commander';
import { type RunOptions, addRunOptions } from './run-options.ts';

export const EXIT_GUEST_FAULTED = 3;
export const EXIT_TIMEOUT = 4;

export function registerRunCommand(program: Command, setStatus: (status: number) => void): void {
  const command = program
    .command('run')
    .description('boot guests from an ELF image or a system file and run them')
    .argument('[target]', 'a guest image (.elf, .bin) or a system file (.yaml); optional with --restore');
  addRunOptions(command).action(async (target: string | undefined, options: RunOptions) => {
    const { runSystem } = await import('./run-command.ts');
    setStatus(await runSystem(target, options));
  });
}
