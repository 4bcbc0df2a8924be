/**
 * The `hv` program, given its sub-commands (hv/cli/main.ts: all of them; hv/cli/main-run.ts:
 * `hv run` alone). It wires them into commander and maps errors to exit statuses: 2 for bad input
 * (arguments, files, configuration) and for a bad environment (libunicorn or the C compiler
 * missing, a host I/O error), each as one line; 1 only for internal errors (a bug in hvlab,
 * printed with its stack); 128 + the signal's number for a command that SIGINT or SIGTERM stopped
 * (it shut down cleanly first). Sub-commands return their own status (hv run: 0, or 3 when a guest
 * faulted).
 */
import { Command, CommanderError } from 'commander';
import { InputError, InterruptedError, NativeLibraryError } from '../errors.ts';
import { constants } from 'node:os';
import { isErrnoError } from './output-file.ts';
import { registerVersionOption } from './version.ts';

export const EXIT_OK = 0;
export const EXIT_INTERNAL = 1;
export const EXIT_BAD_INPUT = 2;

type RegisterCommand = (program: Command, setStatus: (status: number) => void) => void;

/** Sub-commands by name, in the order `hv --help` lists them. */
export type Commands = ReadonlyArray<readonly [string, RegisterCommand]>;

/**
 * The program; with `command` (the first argument), only that sub-command when it is one:
 * declaring every command's options costs a few milliseconds of each start. Help, errors and
 * anything else see them all.
 */
export function buildProgram(commands: Commands, setStatus: (status: number) => void, command?: string): Command {
  const program = new Command('hv')
    .description('hvlab: a model of an embedded type-1 hypervisor with Cortex-M guests emulated by Unicorn')
    .exitOverride()
    // One line per problem: commander's "(Did you mean ...)" would be a second.
    .showSuggestionAfterError(false)
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });
  registerVersionOption(program);
  const named = commands.filter(([name]) => name === command);
  for (const [, register] of named.length > 0 ? named : commands) register(program, setStatus);
  return program;
}

/** Runs the command line `argv` (without node and the script) with `commands`; returns the exit status. */
export async function runProgram(argv: readonly string[], commands: Commands): Promise<number> {
  let status = EXIT_OK;
  const program = buildProgram(commands, (s) => (status = s), argv[0]);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (error) {
    return reportError(error);
  }
}

export function reportError(error: unknown): number {
  if (error instanceof CommanderError) {
    return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
  }
  // A command a signal stopped has shut down cleanly: the shell's status for the signal.
  if (error instanceof InterruptedError) {
    process.stderr.write(`hv: ${error.message}\n`);
    return 128 + (constants.signals[error.signal as NodeJS.Signals] ?? 2);
  }
  if (error instanceof InputError) {
    process.stderr.write(`hv: ${error.message}\n`);
    return EXIT_BAD_INPUT;
  }
  // A missing or unusable libunicorn is the installation's problem: one line saying what to install.
  if (error instanceof NativeLibraryError) {
    process.stderr.write(`hv: ${firstLine(error.message)}\n`);
    return EXIT_BAD_INPUT;
  }
  if (isErrnoError(error)) return hostError(error);
  const e = error as Error;
  process.stderr.write(`hv: internal error: ${e?.stack ?? e?.message ?? String(error)}\n`);
  return EXIT_INTERNAL;
}

/**
 * A host I/O error that no command turned into an InputError: the environment, not hvlab (a
 * closed pipe is not even that: `hv ... | head` ends quietly).
 */
function hostError(error: NodeJS.ErrnoException): number {
  if (error.code === 'EPIPE') return EXIT_OK;
  const where = error.path === undefined ? '' : `${error.path}: `;
  process.stderr.write(`hv: ${where}${error.syscall} failed: ${error.code} (a problem of the host, not of hvlab)\n`);
  return EXIT_BAD_INPUT;
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '') ?? text;
}
