/**
 * `hv run <image.elf | system.yaml>`: boots the guests, prints each console line as
 * `[name] text`, optionally writes a trace (Chrome/Perfetto JSON) and a stats file, and ends with
 * a summary table. Exit status 0, or 3 when at least one guest faulted and was stopped.
 */
import type { Command } from 'commander';
import { MAX_CORES } from '../core/system-config.ts';
import { Session } from '../system/session.ts';
import { statsJson, type StatsFile } from '../trace/stats-file.ts';
import { summaryTable } from '../trace/summary-table.ts';
import { parseInteger, parseRegex } from './options.ts';
import { asOutputError, checkOutputPath, writeOutputFile, writingTo } from './output-file.ts';

export const EXIT_GUEST_FAULTED = 3;

interface RunOptions {
  cores?: number;
  untilCycles?: number;
  untilLine?: RegExp;
  trace?: string;
  stats?: string;
  diskTrace?: string;
}

export function registerRunCommand(program: Command, setStatus: (status: number) => void): void {
  program
    .command('run')
    .description('boot guests from an ELF image or a system file and run them')
    .argument('<target>', 'a guest image (.elf, .bin) or a system file (.yaml)')
    .option('--cores <N>', 'number of emulated physical cores (overrides the system file)', parseInteger('--cores', 1, MAX_CORES))
    .option('--until-cycles <N>', 'stop when virtual time reaches N cycles', parseInteger('--until-cycles', 0))
    .option('--until-line <REGEX>', 'stop when any guest prints a line matching REGEX', parseRegex('--until-line'))
    .option('--trace <FILE>', 'write a Chrome Trace Event JSON file (opens in ui.perfetto.dev; 1 us = 1 cycle)')
    .option('--stats <FILE>', 'write per-guest and per-event statistics as JSON')
    .option('--disk-trace <FILE>', "record the guests' block requests for hv cache-sim (hvlab CSV)")
    .action(async (target: string, options: RunOptions) => setStatus(await runSystem(target, options)));
}

export async function runSystem(target: string, options: RunOptions): Promise<number> {
  checkOutputPaths(options);
  const started = process.hrtime.bigint();
  const session = await Session.open(target, {
    cores: options.cores,
    trace: options.trace !== undefined,
    diskTrace: options.diskTrace,
    onConsole: (guest, line) => process.stdout.write(`[${guest}] ${line}\n`),
  });
  try {
    diskTraceWrites(options, () => session.runUntil({ cycles: options.untilCycles, line: options.untilLine }));
    session.finish();
    const stats = session.results();
    if (options.stats) writeOutputFile(options.stats, statsJson(stats), '--stats');
    if (options.trace) writingTo(options.trace, '--trace', () => session.writeTrace(options.trace!));
    process.stdout.write(summaryTable(stats));
    reportHostSpeed(stats, started);
    return stats.guests.some((g) => g.state === 'faulted') ? EXIT_GUEST_FAULTED : 0;
  } finally {
    diskTraceWrites(options, () => session.close());
  }
}

/** Output files that cannot be written fail the command before any guest runs. */
function checkOutputPaths(options: RunOptions): void {
  if (options.trace !== undefined) checkOutputPath(options.trace, '--trace');
  if (options.stats !== undefined) checkOutputPath(options.stats, '--stats');
  if (options.diskTrace !== undefined) checkOutputPath(options.diskTrace, '--disk-trace');
}

/**
 * The disk trace is written while the guests run and when the system closes; disk images wrap
 * their own I/O errors, so a host I/O error from these phases is the disk trace's.
 */
function diskTraceWrites<T>(options: RunOptions, phase: () => T): T {
  try {
    return phase();
  } catch (error) {
    throw options.diskTrace === undefined ? error : asOutputError(error, options.diskTrace, '--disk-trace');
  }
}

/** Host speed goes to stderr: it differs between runs, stdout and the files do not. */
function reportHostSpeed(stats: StatsFile, started: bigint): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const instructions = stats.guests.reduce((a, g) => a + g.instructions, 0);
  process.stderr.write(`host: ${seconds.toFixed(3)} s, ${(instructions / seconds / 1e6).toFixed(1)} guest MIPS\n`);
}
