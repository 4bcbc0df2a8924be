/**
 * One hypervisor instance, as a library user, the CLI, the experiments, the benchmarks, the tests
 * and the cluster's nodes use it: open a system (async: it preloads what the configuration needs),
 * run it until a cycle or a condition and resume as often as wanted, read its results (the stats
 * document, console lines, trace events), finish it, close it.
 *
 *   const session = await Session.open('guests/demo.yaml');
 *   session.runUntil({ cycles: 1_000_000 });
 *   session.runUntil();                      // on to the end
 *   session.finish();
 *   console.log(session.results().guests);
 *   session.close();
 *
 * Between runs a session can be saved whole to a checkpoint file (checkpoint()) and restored
 * later, in this process or another (Session.restore()): see checkpoint.ts.
 */
import { extname } from 'node:path';
import type { EndReason, RunResult } from '../core/hypervisor.ts';
import { readImage } from '../core/image.ts';
import { type GuestEntry, type SystemConfig, loadSystemFile, singleImageSystem } from '../core/system-config.ts';
import type { Vm } from '../core/vm.ts';
import { UsageError } from '../errors.ts';
import type { TraceEvent } from '../trace/events.ts';
import type { StatsFile } from '../trace/stats-file.ts';
import { writeChromeTrace } from '../trace/trace-file.ts';
import { archFor } from './architectures.ts';
import { type BootedSystem, bootSystem } from './boot.ts';
import { type BootSettings, type CheckpointInfo, type SessionState, checkSameSystem, readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import { prepareDisks } from './checkpoint-disks.ts';
import { restoreSystem } from './system-state.ts';
import { collectStats } from './stats.ts';
import { type SerialReceiver, UartFeed } from './uart-feed.ts';
import { EventLog, type LogOptions } from '../trace/event-log.ts';
import type { AddGuestOptions, ConsoleLine, GuestStatus, RestoreOptions, RunLimit, SessionAttachment, SessionOptions } from './session-types.ts';
import { installExecLog } from '../trace/exec-log.ts';
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';

export type { CheckpointInfo } from './checkpoint.ts';
export type { AddGuestOptions, ConsoleLine, GuestStatus, RestoreOptions, RunLimit, SessionAttachment, SessionOptions } from './session-types.ts';

export class Session {
  private readonly lines: ConsoleLine[] = [];
  private lastResult: RunResult = { reason: 'idle', cycles: 0 };
  private untilLine: RegExp | undefined;
  private finished = false;
  private closed = false;
  private readonly attachments: SessionAttachment[] = [];
  private readonly feeds = new Map<string, UartFeed>();

  private constructor(
    readonly config: SystemConfig,
    private readonly system: BootedSystem,
    private readonly boot: BootSettings,
  ) {}

  /**
   * Boots a system: a system file (.yaml/.yml), a guest image (one guest named after the file),
   * or an already validated configuration.
   */
  static async open(system: SystemConfig | string, options: SessionOptions = {}): Promise<Session> {
    return Session.start(typeof system === 'string' ? configFromFile(system) : system, options);
  }

  /**
   * Boots the system a checkpoint holds and puts it in the checkpoint's state: it goes on from
   * there exactly as the system it was taken of did. Refuses (CheckpointError) a file that is
   * not a checkpoint, is truncated or corrupt, of another format version or hvlab build, or whose
   * system's image or backing files have changed since. Image files the guests write are put back
   * to their contents at the checkpoint (checkpoint-disks.ts).
   */
  static async restore(file: string, options: RestoreOptions = {}): Promise<Session> {
    const { checkpoint } = readCheckpoint(file);
    if (options.expect) checkSameSystem(file, options.expect, checkpoint.config);
    const overlays = prepareDisks(checkpoint.disks);
    const session = await Session.start(checkpoint.config, { ...options, ...checkpoint.boot }, overlays);
    try {
      restoreSystem(session.system, checkpoint.system, () => session.restoreOwn(checkpoint.session));
    } catch (error) {
      session.close();
      throw error;
    }
    return session;
  }

  /**
   * Saves the whole system to `file` (between runs, before finish()): every VM, device, pending
   * event, the scheduler, the I/O system, the disks, the trace so far and the console lines.
   */
  checkpoint(file: string): CheckpointInfo {
    this.checkOpen();
    if (this.finished) throw new UsageError('the session is finished: take a checkpoint before finish()');
    const feeds = [...this.feeds].map(([name, feed]) => [name, feed.saveState()] as const);
    const own: SessionState = { lines: this.lines.map((l) => ({ ...l })), lastResult: this.lastResult, feeds };
    return writeCheckpoint(file, this.system, this.boot, own);
  }

  private static async start(config: SystemConfig, options: SessionOptions, overlays?: ReadonlyMap<string, Uint8Array>): Promise<Session> {
    const arch = archFor(BOARDS[config.board]!);
    await arch.prepare(config.timing);
    if (options.log?.categories.has('exec') || options.log?.categories.has('insn')) await arch.prepareDisassembler();
    // Console lines reach the session once it exists (booting prints nothing).
    const sink: { session?: Session } = {};
    const booted = bootSystem(config, {
      cores: options.cores,
      trace: options.trace,
      traceLimit: options.traceLimit,
      costs: options.costs,
      faultLoopLimit: options.faultLoopLimit,
      diskTrace: options.diskTrace,
      ioLanes: options.ioLanes,
      overlays,
      consoleLine: (guest, line) => sink.session?.consoleLine(guest, line, options),
    });
    const boot: BootSettings = { cores: booted.coreCount, costs: booted.costs, faultLoopLimit: options.faultLoopLimit ?? 16, ioLanes: options.ioLanes ?? 0 };
    sink.session = new Session(config, booted, boot);
    if (options.log) sink.session.startLog(options.log);
    return sink.session;
  }

  /**
   * Runs until `limit` (a virtual time, a console line) or until every guest has stopped or idles
   * for good; can be called again to go on. Returns why it stopped and the virtual time.
   */
  runUntil(limit: RunLimit | number = {}): RunResult {
    this.checkOpen();
    if (this.finished) throw new UsageError('the session is finished: it cannot run any more');
    const { cycles, line, exact } = typeof limit === 'number' ? { cycles: limit, line: undefined, exact: undefined } : limit;
    this.untilLine = line;
    try {
      this.lastResult = this.system.hypervisor.run({ untilCycles: cycles, exact });
    } finally {
      this.untilLine = undefined;
    }
    return this.lastResult;
  }

  /**
   * Ends the run where it is, for a reason outside it (a host-side limit such as `hv run
   * --timeout`): the end reason becomes `stopped`.
   */
  stop(): RunResult {
    this.checkOpen();
    this.lastResult = { reason: 'stopped', cycles: this.now };
    return this.lastResult;
  }

  /** Virtual time now: the largest core clock, in cycles. */
  get now(): number {
    return this.system.hypervisor.time();
  }

  /** Why the last run stopped. */
  get endReason(): EndReason {
    return this.lastResult.reason;
  }

  /**
   * Ends the run for good: every guest's unterminated console line is printed and every core's
   * residency closed, so that results() and the trace describe a finished run.
   */
  finish(): void {
    this.checkOpen();
    if (this.finished) return;
    this.finished = true;
    for (const a of this.attachments) a.finish(this.lastResult.reason === 'idle');
    for (const vm of this.system.vms) vm.console.flush();
    for (const core of this.system.hypervisor.cores) core.switchOut('end of run');
  }

  /** The stats document (the same as `hv run --stats` writes). */
  results(): StatsFile {
    this.checkOpen();
    return collectStats(this.system, { reason: this.lastResult.reason, cycles: this.now });
  }

  /** Every console line so far, in order (hypervisor notices as `[hv] ...`). */
  consoleLines(): readonly ConsoleLine[] {
    return this.lines;
  }

  /** Trace events so far (kept only with `trace: true`). */
  events(): readonly TraceEvent[] {
    return this.system.recorder.events;
  }

  /** Writes the trace so far as Chrome Trace Event JSON (opens in ui.perfetto.dev). */
  writeTrace(file: string): void {
    this.checkOpen();
    const { vms, recorder, coreCount } = this.system;
    const board = BOARDS[this.config.board]!;
    const symbols = new Map(vms.map((vm) => [vm.name, vm.symbols]));
    const meta = {
      clockHz: board.clockHz,
      coreCount,
      guests: vms.map((vm) => vm.name),
      dropped: recorder.dropped,
      board: board.name,
      symbolize: (guest: string, pc: number) => symbols.get(guest)?.format(pc),
    };
    writeChromeTrace(file, recorder.events, meta, this.now);
  }

  /**
   * Boots one more guest into the running session: a system-file guest entry (validateSystem on a
   * one-guest system gives one with its defaults). A guest with an io-path (in-context or emulated)
   * takes one of the session's free I/O lanes (`ioLanes`). Its `guest-start` is recorded when it
   * first runs.
   */
  addGuest(guest: GuestEntry, options: AddGuestOptions = {}): void {
    this.checkOpen();
    if (this.finished) throw new UsageError('the session is finished: no guest can be added');
    const core = options.core ?? this.leastUsedCore();
    this.checkCore(`guest ${guest.name}`, core);
    const image = options.image ?? readImage(guest.image, { format: guest.format, loadAddress: guest['load-address'] });
    this.system.addGuest(guest, image, core, options.at ?? 0);
  }

  /** Stops a running guest from outside, as a halt without an exit code (e.g. its cycle budget is used up). */
  endGuest(name: string, detail: string): void {
    this.checkOpen();
    this.system.hypervisor.end(this.vm(name), detail);
  }

  /** Guest `name`'s stats-file record and when it stopped. */
  guest(name: string): GuestStatus {
    const vm = this.vm(name);
    const io = this.system.io?.report(vm);
    return { report: io ? { ...vm.report(), io } : vm.report(), endedAt: vm.exit?.at ?? null };
  }

  /** Closes a stopped guest's engine (and its I/O lane and disk) to free them; its record stays in the results. */
  releaseGuest(name: string): void {
    const vm = this.vm(name);
    if (vm.alive) throw new UsageError(`guest ${name} is still running: only a stopped guest can be released`);
    this.system.release(vm);
  }

  /** Moves guest `name` to core `core` (as a scheduler's migration: charged, traced, monotonic). */
  migrate(name: string, core: number): void {
    const vm = this.vm(name);
    this.checkCore(`migrate ${name}`, core);
    this.system.hypervisor.migrate(vm, core);
  }

  /** Attaches `attachment` (see SessionAttachment): polled between steps from now on. */
  attach(attachment: SessionAttachment): void {
    this.checkOpen();
    this.attachments.push(attachment);
    this.system.hypervisor.addPoller(() => attachment.poll());
  }

  /**
   * The receive line of guest `name`'s console UART: bytes sent there arrive at virtual times
   * (now, or later), one per character time, held back while the guest does not read them.
   */
  uartInput(name: string): UartFeed {
    this.checkOpen();
    let feed = this.feeds.get(name);
    if (feed) return feed;
    const vm = this.vm(name);
    const spec = vm.config.board.devices.find((d) => d.console);
    const device = vm.board.devices.find((d) => d.name === spec?.name) as Partial<SerialReceiver> | undefined;
    if (!device?.receive || !device.onReceiveReady) throw new UsageError(`guest ${name}: its board has no console UART that receives`);
    feed = new UartFeed(vm.clock, device as SerialReceiver);
    this.feeds.set(name, feed);
    return feed;
  }

  /**
   * Lets the attachments look at their connections while no run is in progress (a command waiting
   * for terminal input): a debugger may halt the guest and serve gdb right here.
   */
  pollAttachments(): void {
    this.checkOpen();
    for (const a of this.attachments) a.poll();
  }

  /** Ends the run at the next step boundary (from a console callback or another thread's message). */
  requestStop(): void {
    this.system.hypervisor.requestStop('stopped');
  }

  /** The booted system (VMs, I/O system, hypervisor) for callers that inspect its insides. */
  get internals(): BootedSystem {
    return this.system;
  }

  /**
   * Writes every disk's cached data and image metadata (qcow2 L2 and refcount tables) to its
   * file, as a guest's flush command would, without closing anything: a command flushes before it
   * writes its outputs, so that a slow or failing output cannot cost the guests' data.
   */
  flushDisks(): void {
    this.checkOpen();
    this.system.io?.flushDisks();
  }

  /** Releases the disks and every engine (idempotent). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const a of this.attachments) a.close();
    this.system.close();
  }

  /** The session's own part of a checkpoint: console lines, the last run's end, UART input. */
  private restoreOwn(s: SessionState): void {
    this.lines.length = 0;
    for (const l of s.lines) this.lines.push({ ...l });
    this.lastResult = s.lastResult;
    for (const [name, feed] of s.feeds) this.uartInput(name).restoreState(feed);
  }

  /** Logs the events of the chosen categories (before the first run: hooks must precede translation). */
  private startLog(options: Omit<LogOptions, 'symbolize'>): void {
    const { vms, recorder } = this.system;
    const symbols = new Map(vms.map((vm) => [vm.name, vm.symbols]));
    const log = new EventLog({ ...options, symbolize: (guest, pc) => symbols.get(guest)?.format(pc) });
    recorder.observe((event) => log.event(event));
    const arch = archFor(BOARDS[this.config.board]!);
    for (const vm of vms) installExecLog(vm.engine, vm.name, () => vm.clock.now(), log, (bytes, address) => arch.disassemble(bytes, address));
  }

  private vm(name: string): Vm {
    const vm = this.system.vms.find((v) => v.name === name);
    if (!vm) throw new UsageError(`no guest named "${name}" (guests: ${this.system.vms.map((v) => v.name).join(', ')})`);
    return vm;
  }

  private checkCore(what: string, core: number): void {
    if (!Number.isInteger(core) || core < 0 || core >= this.system.coreCount) {
      throw new UsageError(`${what}: no core ${core} (the system has ${this.system.coreCount})`);
    }
  }

  private leastUsedCore(): number {
    const live = new Array<number>(this.system.coreCount).fill(0);
    for (const vm of this.system.vms) if (vm.alive) live[vm.coreIndex]! += 1;
    return live.indexOf(Math.min(...live));
  }

  private consoleLine(guest: string, line: string, options: SessionOptions): void {
    this.lines.push({ guest, line });
    options.onConsole?.(guest, line);
    if (this.untilLine?.test(line)) this.system.hypervisor.requestStop('until-line');
  }

  private checkOpen(): void {
    if (this.closed) throw new UsageError('the session is closed');
  }
}

/** A system file (.yaml, .yml) or a single guest image. */
function configFromFile(target: string): SystemConfig {
  const ext = extname(target).toLowerCase();
  return ext === '.yaml' || ext === '.yml' ? loadSystemFile(target) : singleImageSystem(target);
}
