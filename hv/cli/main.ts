/**
 * The `hv` command: every sub-command (one file each), run by hv/cli/program.ts, which maps
 * errors to exit statuses. `hv run` alone also has a CLI of its own (hv/cli/main-run.ts).
 */
import { registerCostsCommand } from './costs.ts';
import { registerExperimentCommand } from './experiment.ts';
import { registerRunCommand } from './run.ts';
import { registerCacheSimCommand } from './cache-sim.ts';
import { registerClusterCommand } from './cluster.ts';
import { registerTraceGenCommand } from './trace-gen.ts';
import { registerBoardsCommand } from './boards.ts';
import { type Commands, runProgram } from './program.ts';

/** The sub-commands by name, in the order `hv --help` lists them. */
const COMMANDS: Commands = [
  ['run', registerRunCommand],
  ['cache-sim', registerCacheSimCommand],
  ['trace-gen', registerTraceGenCommand],
  ['costs', registerCostsCommand],
  ['experiment', registerExperimentCommand],
  ['cluster', registerClusterCommand],
  ['boards', registerBoardsCommand],
];

/** Runs the command line `argv` (without node and the script); returns the exit status. */
export function main(argv: readonly string[]): Promise<number> {
  return runProgram(argv, COMMANDS);
}
