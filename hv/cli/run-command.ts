/**
 * The work of `hv run` (see run.ts): resolve the system, open the session, serve debuggers and
 * UART inputs, drive the run, then write the files and the summary.
 */
import type { RunResult } from '../core/hypervisor.ts';
import type { SystemConfig } from '../core/system-config.ts';
import { Session } from '../system/session.ts';
import { statsJson, type StatsFile } from '../trace/stats-file.ts';
import { summaryTable } from '../trace/summary-table.ts';
import { LineSink } from './line-sink.ts';
import { asOutputError, checkOutputPath, writeOutputFile, writingTo } from './output-file.ts';
import { ProgressLine } from './progress-line.ts';
import { driveRun } from './run-driver.ts';
import { EXIT_GUEST_FAULTED, EXIT_TIMEOUT } from './run.ts';
import type { RunOptions } from './run-options.ts';
import { resolveSystem, startDebuggers, startUartInputs } from './run-setup.ts';
import type { TerminalInput } from './terminal-input.ts';

export async function runSystem(target: string, options: RunOptions): Promise<number> {
  const o: RunOptions = { ...options, gdb: options.gdb ?? [], uartInput: options.uartInput ?? [] };
  const config = resolveSystem(target, o);
  if (o.dryRun) {
    const { dryRunText } = await import('./dry-run.ts');
    process.stdout.write(dryRunText(config, o.cores));
    return 0;
  }
  checkOutputs(o);
  const started = process.hrtime.bigint();
  const notice = (message: string) => process.stderr.write(`hv: ${message}\n`);
  const log = o.log ? LineSink.open(o.logFile, '--log-file') : undefined;
  const session = await Session.open(config, {
    cores: o.cores,
    trace: o.trace !== undefined,
    traceLimit: o.traceLimit,
    diskTrace: o.diskTrace,
    onConsole: consoleSink(o),
    log: log && o.log ? { categories: o.log, guests: o.logGuests, write: (line) => log.write(line) } : undefined,
  });
  let terminal: TerminalInput | undefined;
  try {
    const hz = session.internals.vms[0]!.config.board.clockHz;
    if (o.verbose) notice(bootSummary(session, config));
    await startDebuggers(session, config, o, notice);
    terminal = startUartInputs(session, config, o, hz);
    const progress = o.quiet || o.json ? undefined : ProgressLine.create(o.untilCycles, hz);
    const { result, timedOut } = await diskTraceWritesAsync(o, () => driveRun(session, { untilCycles: o.untilCycles, untilLine: o.untilLine, timeout: o.timeout, progress, terminal }));
    progress?.stop();
    session.finish();
    log?.flush();
    return finishRun(session, o, { result, timedOut, started, notice });
  } finally {
    terminal?.close();
    log?.close();
    diskTraceWrites(o, () => session.close());
  }
}

/**
 * The disk trace is written while the guests run and when the system closes; disk images wrap
 * their own I/O errors, so a host I/O error from these phases is the disk trace's.
 */
function diskTraceWrites<T>(o: RunOptions, phase: () => T): T {
  try {
    return phase();
  } catch (error) {
    throw o.diskTrace === undefined ? error : asOutputError(error, o.diskTrace, '--disk-trace');
  }
}

async function diskTraceWritesAsync<T>(o: RunOptions, phase: () => Promise<T>): Promise<T> {
  try {
    return await phase();
  } catch (error) {
    throw o.diskTrace === undefined ? error : asOutputError(error, o.diskTrace, '--disk-trace');
  }
}

function checkOutputs(o: RunOptions): void {
  const outputs: Array<[string, string | undefined]> = [['--trace', o.trace], ['--stats', o.stats], ['--disk-trace', o.diskTrace], ['--log-file', o.logFile]];
  for (const [option, file] of outputs) if (file !== undefined) checkOutputPath(file, option);
}

/** Console lines go to stdout, to stderr with --json (stdout holds only the JSON), or nowhere with --quiet. */
function consoleSink(o: RunOptions): ((guest: string, line: string) => void) | undefined {
  if (o.quiet) return undefined;
  const stream = o.json ? process.stderr : process.stdout;
  return (guest, line) => stream.write(`[${guest}] ${line}\n`);
}

interface Ending {
  result: RunResult;
  timedOut: boolean;
  started: bigint;
  notice: (message: string) => void;
}

function finishRun(session: Session, o: RunOptions, end: Ending): number {
  const stats = session.results();
  const status = end.timedOut ? EXIT_TIMEOUT : stats.guests.some((g) => g.state === 'faulted') ? EXIT_GUEST_FAULTED : 0;
  if (end.timedOut) end.notice(`--timeout ${o.timeout}: the run was stopped after ${o.timeout} s of host time, at cycle ${stats.cycles}`);
  if (o.stats) writeOutputFile(o.stats, statsJson(stats), '--stats');
  if (o.trace) writingTo(o.trace, '--trace', () => session.writeTrace(o.trace!));
  if (stats.trace.droppedEvents > 0) {
    end.notice(`warning: the trace dropped ${stats.trace.droppedEvents} events past its limit of ${session.events().length} (--trace-limit; the stats are complete)`);
  }
  if (o.verbose) verboseEnd(stats, o, end.notice);
  if (o.json) process.stdout.write(`${JSON.stringify({ ...summaryJson(stats), exitStatus: status }, null, 2)}\n`);
  else process.stdout.write(summaryTable(stats));
  if (!o.quiet) reportHostSpeed(stats, end.started);
  return status;
}

/** The summary as JSON: the end of the run and every guest's report (the stats file without the event distributions). */
function summaryJson(stats: StatsFile): Omit<StatsFile, 'events'> & { seconds: number } {
  const { events: _events, ...summary } = stats;
  return { ...summary, seconds: stats.cycles / stats.clockHz };
}

function bootSummary(session: Session, config: SystemConfig): string {
  const { vms, coreCount } = session.internals;
  const guests = vms.map((vm) => `${vm.name} on core ${vm.coreIndex} (${vm.config.image.file}, entry 0x${vm.config.image.entry.toString(16)})`);
  return `booted ${config.source}: ${coreCount} cores, ${guests.join('; ')}`;
}

function verboseEnd(stats: StatsFile, o: RunOptions, notice: (message: string) => void): void {
  for (const g of stats.guests) notice(`${g.name}: ${g.state}${g.exitCode !== null ? ` (exit ${g.exitCode})` : ''}, ${g.instructions} instructions, ${g.cycles} cycles`);
  notice(`run ended: ${stats.endReason} at cycle ${stats.cycles}`);
  for (const [what, file] of [['trace', o.trace], ['stats', o.stats], ['execution log', o.logFile]] as const) if (file) notice(`wrote the ${what} to ${file}`);
}

/** Host speed goes to stderr: it differs between runs, stdout and the files do not. */
function reportHostSpeed(stats: StatsFile, started: bigint): void {
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const instructions = stats.guests.reduce((a, g) => a + g.instructions, 0);
  process.stderr.write(`host: ${seconds.toFixed(3)} s, ${(instructions / seconds / 1e6).toFixed(1)} guest MIPS\n`);
}
