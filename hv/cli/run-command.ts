/**
 * The work of `hv run` (see run.ts): resolve the system (or a checkpoint), open the session, serve
 * debuggers and UART inputs, drive the run (signals, checkpoints), then write the files and the
 * summary.
 */
import type { RunResult } from '../core/hypervisor.ts';
import type { SystemConfig } from '../core/system-config.ts';
import type { Session } from '../system/session.ts';
import { DEFAULT_TRACE_LIMIT } from '../trace/recorder.ts';
import { statsJson, type StatsFile } from '../trace/stats-file.ts';
import { summaryTable } from '../trace/summary-table.ts';
import { LineSink } from './line-sink.ts';
import { asOutputError, checkOutputPath, writeOutputFile, writingTo } from './output-file.ts';
import { ProgressLine } from './progress-line.ts';
import { driveRun } from './run-driver.ts';
import { EXIT_GUEST_FAULTED, EXIT_TIMEOUT } from './run.ts';
import type { RunOptions } from './run-options.ts';
import { type ShutdownSignal, ShutdownSignals, signalExitStatus } from './shutdown-signals.ts';
import { checkCheckpointOptions, checkpointPlan, openForRun, systemOf } from './run-checkpoint.ts';
import { startDebuggers, startUartInputs } from './run-setup.ts';
import type { TerminalInput } from './terminal-input.ts';

export async function runSystem(target: string | undefined, options: RunOptions): Promise<number> {
  const o: RunOptions = { ...options, gdb: options.gdb ?? [], uartInput: options.uartInput ?? [] };
  checkCheckpointOptions(target, o);
  if (o.dryRun) {
    const { dryRunText } = await import('./dry-run.ts');
    process.stdout.write(dryRunText(systemOf(target, o), o.cores));
    return 0;
  }
  checkOutputs(o);
  const started = process.hrtime.bigint();
  const notice = (message: string) => process.stderr.write(`hv: ${message}\n`);
  // Before booting: a signal during the boot is seen before the first slice.
  const signals = ShutdownSignals.install(notice, 'stopping the run at the next slice boundary, then shutting down (disks flushed and closed)');
  try {
    return await bootAndRun(target, o, { started, notice, signals });
  } finally {
    signals.remove();
  }
}

interface RunContext {
  started: bigint;
  notice: (message: string) => void;
  signals: ShutdownSignals;
}

/**
 * The one way a run ends, whether it ran to its end, timed out, was interrupted by a signal or
 * failed: the session finishes, its results are taken, the disks are flushed before the outputs
 * are written (they matter most), and the session closes (disks, snapshot overlays, engines)
 * even when a step before fails.
 */
async function bootAndRun(target: string | undefined, o: RunOptions, context: RunContext): Promise<number> {
  const { notice, signals } = context;
  const log = o.log ? LineSink.open(o.logFile, '--log-file') : undefined;
  const sessionOptions = {
    trace: o.trace !== undefined,
    traceLimit: o.traceLimit,
    diskTrace: o.diskTrace,
    onConsole: consoleSink(o),
    log: log && o.log ? { categories: o.log, guests: o.logGuests, write: (line: string) => log.write(line) } : undefined,
  };
  const session = await openForRun(target, o, sessionOptions);
  const config = session.config;
  let terminal: TerminalInput | undefined;
  try {
    const hz = session.internals.vms[0]!.config.board.clockHz;
    if (o.verbose) notice(bootSummary(session, config));
    await startDebuggers(session, config, o, notice);
    terminal = startUartInputs(session, config, o, hz);
    const progress = o.quiet || o.json ? undefined : ProgressLine.create(o.untilCycles, hz);
    const checkpoint = checkpointPlan(session, o, notice);
    const drive = { untilCycles: o.untilCycles, untilLine: o.untilLine, timeout: o.timeout, progress, terminal, signals, ...checkpoint };
    const { result, timedOut, signal } = await diskTraceWritesAsync(o, () => driveRun(session, drive));
    progress?.stop();
    checkpoint.afterRun();
    session.finish();
    log?.flush();
    return finishRun(session, o, { result, timedOut, signal, started: context.started, notice });
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
  const outputs: Array<[string, string | undefined]> = [['--trace', o.trace], ['--stats', o.stats], ['--disk-trace', o.diskTrace], ['--log-file', o.logFile], ['--checkpoint', o.checkpoint]];
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
  signal: ShutdownSignal | undefined;
  started: bigint;
  notice: (message: string) => void;
}

function finishRun(session: Session, o: RunOptions, end: Ending): number {
  const stats = session.results();
  diskTraceWrites(o, () => session.flushDisks());
  const status = exitStatus(stats, end);
  if (end.timedOut) end.notice(`--timeout ${o.timeout}: the run was stopped after ${o.timeout} s of host time, at cycle ${stats.cycles}`);
  if (end.signal) end.notice(`${end.signal}: the run was stopped at cycle ${stats.cycles}; the disks are flushed${o.stats || o.trace ? ', the stats and trace files are of the run so far' : ''}`);
  if (o.stats) writeOutputFile(o.stats, statsJson(stats), '--stats');
  if (o.trace) writingTo(o.trace, '--trace', () => session.writeTrace(o.trace!));
  if (stats.trace.droppedEvents > 0) end.notice(droppedWarning(stats.trace, o.traceLimit ?? DEFAULT_TRACE_LIMIT));
  if (o.verbose) verboseEnd(stats, o, end.notice);
  if (o.json) process.stdout.write(`${JSON.stringify({ ...summaryJson(stats), exitStatus: status }, null, 2)}\n`);
  else process.stdout.write(summaryTable(stats));
  if (!o.quiet) reportHostSpeed(stats, end.started);
  return status;
}

/** The trace's limit is shared equally by the guests: say whose events were dropped. */
function droppedWarning(trace: StatsFile['trace'], limit: number): string {
  const byGuest = Object.entries(trace.droppedByGuest ?? {}).map(([guest, n]) => `${guest} ${n}`);
  const whose = byGuest.length > 0 ? `; dropped per guest: ${byGuest.join(', ')}` : '';
  return `warning: the trace dropped ${trace.droppedEvents} events past its limit of ${limit}, an equal share per guest (--trace-limit; the stats are complete${whose})`;
}

/** A signal first (the shell's 128 + n), then --timeout, then a faulted guest. */
function exitStatus(stats: StatsFile, end: Ending): number {
  if (end.signal) return signalExitStatus(end.signal);
  if (end.timedOut) return EXIT_TIMEOUT;
  return stats.guests.some((g) => g.state === 'faulted') ? EXIT_GUEST_FAULTED : 0;
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
