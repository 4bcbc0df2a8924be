/**
 * The options of `hv run` beyond the basic ones: debugging (--gdb, --gdb-wait), UART input,
 * execution logs, output control (--quiet, --verbose, --json), run control (--timeout,
 * --dry-run) and the single-image settings. Each parser fails with a UsageError naming the option.
 */
import { type Command, Option } from 'commander';
import { MAX_CORES, parseSize } from '../core/system-config.ts';
import { UsageError } from '../errors.ts';
import { LOG_CATEGORIES, type LogCategory } from '../trace/event-log.ts';
import { parseInteger, parseRegex } from './options.ts';

/** `[GUEST:]PORT` of --gdb. */
export interface GdbSpec {
  readonly guest: string | undefined;
  readonly port: number;
}

/** `[GUEST:]FILE` of --uart-input; FILE `-` is the terminal (standard input). */
export interface UartInputSpec {
  readonly guest: string | undefined;
  readonly file: string;
}

export interface RunOptions {
  cores?: number;
  untilCycles?: number;
  untilLine?: RegExp;
  trace?: string;
  traceLimit?: number;
  stats?: string;
  diskTrace?: string;
  gdb: GdbSpec[];
  gdbWait?: boolean;
  uartInput: UartInputSpec[];
  log?: Set<LogCategory>;
  logFile?: string;
  logGuests?: Set<string>;
  quiet?: boolean;
  verbose?: boolean;
  json?: boolean;
  timeout?: number;
  dryRun?: boolean;
  timing?: 'instruction' | 'cycle';
  cmdline?: string;
  codeSize?: number;
  sramSize?: number;
  checkpoint?: string;
  checkpointAt?: number;
  restore?: string;
}

export function addRunOptions(command: Command): Command {
  return command
    .option('--cores <N>', 'number of emulated physical cores (overrides the system file)', parseInteger('--cores', 1, MAX_CORES))
    .option('--until-cycles <N>', 'stop when virtual time reaches N cycles', parseInteger('--until-cycles', 0))
    .option('--until-line <REGEX>', 'stop when any guest prints a line matching REGEX', parseRegex('--until-line'))
    .option('--trace <FILE>', 'write a Chrome Trace Event JSON file (opens in ui.perfetto.dev)')
    .option('--trace-limit <EVENTS>', 'most events the trace keeps (default 2000000; the stats are always complete)', parseInteger('--trace-limit', 1))
    .option('--stats <FILE>', 'write per-guest and per-event statistics as JSON')
    .option('--disk-trace <FILE>', "record the guests' block requests for hv cache-sim (hvlab CSV)")
    .option('--gdb <[GUEST:]PORT>', 'serve the GDB remote protocol for GUEST on 127.0.0.1:PORT (repeatable; 0 = any free port)', collect(parseGdb), [])
    .option('--gdb-wait', 'hold the system before the first instruction until gdb connects and continues')
    .option('--uart-input <[GUEST:]FILE>', "feed GUEST's console UART from a script FILE, or '-' for the terminal (repeatable)", collect(parseUartInput), [])
    .option('--log <LIST>', `execution log categories: ${LOG_CATEGORIES.join(', ')}, all`, parseLog)
    .option('--log-file <FILE>', 'write the execution log to FILE (default: standard error)')
    .option('--log-guests <LIST>', 'log only these guests (comma-separated names)', (v: string) => new Set(v.split(',').filter(Boolean)))
    .addOption(new Option('--quiet', "don't print guest console lines or the host speed").conflicts('verbose'))
    .option('--verbose', 'print what the hypervisor does on standard error (boot, guest ends, files written)')
    .option('--json', 'print the summary as JSON on standard output (console lines go to standard error)')
    .option('--timeout <SECONDS>', 'stop the run after SECONDS of host (wall-clock) time; exit status 4', parseSeconds)
    .option('--dry-run', 'print the resolved system (defaults filled in) and exit without running')
    .addOption(new Option('--timing <MODE>', 'single image: instruction or cycle timing').choices(['instruction', 'cycle']))
    .option('--cmdline <TEXT>', "single image: what the guest's semihosting SYS_GET_CMDLINE returns")
    .option('--code-size <SIZE>', 'single image: code memory size (e.g. 256KiB)', parseByteSize('--code-size'))
    .option('--sram-size <SIZE>', 'single image: SRAM size (e.g. 64KiB)', parseByteSize('--sram-size'))
    .option('--checkpoint <FILE>', 'save the whole running system to FILE: at --checkpoint-at, or where the run stops')
    .option('--checkpoint-at <CYCLES>', 'with --checkpoint: save when virtual time reaches CYCLES (the next step boundary) and go on', parseInteger('--checkpoint-at', 0))
    .option('--restore <FILE>', 'go on from the checkpoint in FILE (SYSTEM is then optional); its console lines so far are printed first');
}

function collect<T>(parse: (value: string) => T): (value: string, previous: T[]) => T[] {
  return (value, previous) => [...previous, parse(value)];
}

export function parseGdb(value: string): GdbSpec {
  const colon = value.lastIndexOf(':');
  const guest = colon >= 0 ? value.slice(0, colon) : undefined;
  const portText = colon >= 0 ? value.slice(colon + 1) : value;
  const port = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65535) || guest === '') throw new UsageError(`--gdb: expected [GUEST:]PORT with a port from 0 to 65535, got "${value}"`);
  return { guest, port };
}

export function parseUartInput(value: string): UartInputSpec {
  const match = /^([A-Za-z0-9_.-]{1,32}):(.+)$/.exec(value);
  if (value === '') throw new UsageError('--uart-input: expected [GUEST:]FILE');
  return match ? { guest: match[1], file: match[2]! } : { guest: undefined, file: value };
}

function parseLog(value: string): Set<LogCategory> {
  const out = new Set<LogCategory>();
  for (const name of value.split(',').filter(Boolean)) {
    if (name === 'all') LOG_CATEGORIES.filter((c) => c !== 'insn').forEach((c) => out.add(c));
    else if ((LOG_CATEGORIES as readonly string[]).includes(name)) out.add(name as LogCategory);
    else throw new UsageError(`--log: unknown category "${name}" (known: ${LOG_CATEGORIES.join(', ')}, all)`);
  }
  if (out.size === 0) throw new UsageError('--log: expected at least one category');
  return out;
}

function parseSeconds(value: string): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!(n > 0)) throw new UsageError(`--timeout: expected a positive number of seconds, got "${value}"`);
  return n;
}

function parseByteSize(option: string): (value: string) => number {
  return (value) => {
    const size = parseSize(value);
    if (size === undefined || size === 0 || size % 1024 !== 0) {
      throw new UsageError(`${option}: expected a positive multiple of 1 KiB (e.g. 65536, 64KiB, 1MiB), got "${value}"`);
    }
    return size;
  };
}
