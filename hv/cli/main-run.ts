/**
 * `hv run` alone: the CLI that scripts/build-lib.mjs compiles into dist/hv-run.cjs, which bin/hv.js
 * loads for `hv run ...` (dist/hv.cjs, with every command, for the rest). A bundle without the
 * other commands' code is ~30 % smaller: hv run's start-up compiles (from its code cache) and
 * evaluates ~6 ms less. Its behaviour is hv/cli/main.ts's for a command line that names `run`.
 */
import { registerRunCommand } from './run.ts';
import { runProgram } from './program.ts';

/** Runs the command line `argv` (`run ...`); returns the exit status. */
export function main(argv: readonly string[]): Promise<number> {
  return runProgram(argv, [['run', registerRunCommand]]);
}
