/**
 * The `hv` command. One file per sub-command; this file wires them into commander and maps
 * errors to exit statuses: 2 for bad input (arguments, files, configuration), 1 for internal
 * errors. Sub-commands return their own status (hv run: 0, or 3 when a guest faulted).
 */
import { Command, CommanderError } from 'commander';
import { InputError } from '../errors.ts';
import { registerCostsCommand } from './costs.ts';
import { registerExperimentCommand } from './experiment.ts';
import { registerRunCommand } from './run.ts';
import { registerCacheSimCommand } from './cache-sim.ts';
import { registerTraceGenCommand } from './trace-gen.ts';
import { registerBoardsCommand } from './boards.ts';
import { registerVersionOption } from './version.ts';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

export function buildProgram(setStatus: (status: number) => void): Command {
  const program = new Command('hv')
    .description('hvlab: a model of an embedded type-1 hypervisor with Cortex-M guests emulated by Unicorn')
    .exitOverride()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerVersionOption(program);
  registerRunCommand(program, setStatus);
  registerCacheSimCommand(program, setStatus);
  registerTraceGenCommand(program, setStatus);
  registerCostsCommand(program);
  registerExperimentCommand(program);
  registerBoardsCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<number> {
  let status = EXIT_OK;
  const program = buildProgram((s) => (status = s));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    return reportError(error);
  }
}

function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  }
  if (error instanceof InputError) {
    process.stderr.write(`hv: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  const e = error as Error;
  process.stderr.write(`hv: internal error: ${e.stack ?? e.message}\n`);
  return EXIT_INTERNAL;
}
