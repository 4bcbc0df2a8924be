/**
 * `hv run <image.elf | system.yaml>`: boots the guests, prints each console line as
 * `[name] text`, optionally writes a trace (Chrome/Perfetto JSON) and a stats file, and ends with
 * a summary table. Exit status 0, or 3 when at least one guest faulted and was stopped.
 */
import type { Command } from 'commander';
import { extname } from 'node:path';
import { MAX_CORES, loadSystemFile, singleImageSystem } from '../core/system-config.ts';
import { type BootedSystem, bootSystem } from '../core/system.ts';
import type { RunResult } from '../core/hypervisor.ts';
import { statsJson, type StatsFile } from '../trace/stats-file.ts';
import { summaryTable } from '../trace/summary-table.ts';
import { writeChromeTrace } from '../trace/trace-file.ts';
import { loadCapstone } from '../arch/armv7m/capstone.ts';
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
  const ext = extname(target).toLowerCase();
  const config = ext === '.yaml' || ext === '.yml' ? loadSystemFile(target) : singleImageSystem(target);
  if (config.timing === 'cycle') await loadCapstone();
  let system: BootedSystem | undefined;
  const started = process.hrtime.bigint();
  system = bootSystem(config, {
    cores: options.cores,
    trace: options.trace !== undefined,
    diskTrace: options.diskTrace,
    consoleLine: (guest, line) => {
      process.stdout.write(`[${guest}] ${line}\n`);
      if (options.untilLine?.test(line)) system?.hypervisor.requestStop('until-line');
    },
  });
  try {
    const result = diskTraceWrites(options, () => system!.hypervisor.run({ untilCycles: options.untilCycles }));
    for (const vm of system.hypervisor.vms) vm.console.flush();
    const stats = collectStats(system, result);
    if (options.stats) writeOutputFile(options.stats, statsJson(stats), '--stats');
    if (options.trace) writingTo(options.trace, '--trace', () => writeChromeTrace(options.trace!, system!, result));
    process.stdout.write(summaryTable(stats));
    reportHostSpeed(stats, started);
    return stats.guests.some((g) => g.state === 'faulted') ? EXIT_GUEST_FAULTED : 0;
  } finally {
    diskTraceWrites(options, () => system!.close());
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

export function collectStats(system: BootedSystem, result: RunResult): StatsFile {
  const board = system.hypervisor.vms[0]!.config.board;
  return {
    generator: 'hvlab',
    board: board.name,
    clockHz: board.clockHz,
    cores: system.coreCount,
    endReason: result.reason,
    cycles: result.cycles,
    guests: system.hypervisor.vms.map((vm) => vm.report()),
    events: system.recorder.summaries(),
    trace: { droppedEvents: system.recorder.dropped },
  };
}

/** Host speed goes to stderr: it differs between runs, stdout and the files do not. */
function reportHostSpeed(stats: StatsFile, started: bigint): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const instructions = stats.guests.reduce((a, g) => a + g.instructions, 0);
  process.stderr.write(`host: ${seconds.toFixed(3)} s, ${(instructions / seconds / 1e6).toFixed(1)} guest MIPS\n`);
}
