/**
 * The real slave: one hypervisor session (its own emulated cores) whose guests are the workloads
 * the master dispatched to it. Each step boots the workloads that start at the quantum's
 * beginning, runs the session to the quantum's end, ends workloads whose cycle budget is used up
 * (checking as soon as a budget could first be reached, so the end is exact to a run step), frees
 * the engines of finished ones and reports their results and the quantum's CPU use. A workload
 * with an I/O path gets one of the slave's I/O lanes and a blank disk of its own (a sparse file in
 * a temporary directory, deleted when it finishes): virtio-blk served by the emulated backend.
 */
import { Buffer } from 'node:buffer';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BOARDS } from '../../../devices/platforms/mps2-an386.ts';
import { type GuestImage, parseImage } from '../../core/image.ts';
import { type GuestEntry, type SystemConfig, validateSystem } from '../../core/system-config.ts';
import { ImageError, InputError } from '../../errors.ts';
import { Session } from '../../system/session.ts';
import type { Finished, InitBody, ReportBody, SlaveBody, SlaveSpec, StepBody, WorkloadStart } from '../messages.ts';
import type { SlaveNode } from './slave-node.ts';

interface Running {
  readonly start: WorkloadStart;
  readonly startedAt: number;
  /** Cycles it had used when the current quantum began. */
  cyclesBefore: number;
  /** Cycles its disk requests had spent in the device when the current quantum began. */
  ioBefore: number;
  /** Its disk file, if it has one. */
  readonly disk: string | undefined;
  ended: boolean;
}

export class SessionSlave implements SlaveNode {
  private session: Session | undefined;
  private readonly images = new Map<string, Uint8Array>();
  private readonly running = new Map<string, Running>();
  private readonly consoles = new Map<string, string[]>();
  private failed = false;
  private disks: string | undefined;

  async init(body: InitBody): Promise<SlaveBody> {
    const spec = body.slave;
    const onConsole = (guest: string, line: string) => this.consoles.get(guest)?.push(line);
    this.session = await Session.open(slaveSystem(spec), { onConsole, ioLanes: spec.ioLanes });
    if (spec.ioLanes > 0) this.disks = mkdtempSync(join(tmpdir(), `hvlab-slave-${spec.name}-`));
    return { kind: 'ready', capacity: { cores: spec.cores, memory: spec.memory, vcpus: spec.cores * spec.vcpusPerCore, io: spec.ioLanes } };
  }

  step(body: StepBody): ReportBody {
    const session = this.session!;
    const finished: Finished[] = [];
    if (body.fail && !this.failed) {
      this.failed = true;
      for (const [name, r] of this.running) {
        session.endGuest(name, 'node failure');
        finished.push(this.result(name, r, 'failed', body.from));
      }
      this.running.clear();
    }
    if (this.failed) return { kind: 'report', time: body.to, busy: 0, ioBusy: 0, running: [], finished };
    for (const start of body.start) {
      const refused = this.boot(start, body.from);
      if (refused) finished.push(refused);
    }
    this.runTo(body.from, body.to);
    return this.report(body.to, finished);
  }

  finish(): SlaveBody {
    const session = this.session!;
    session.finish();
    return { kind: 'final', stats: { ...session.results() } };
  }

  close(): void {
    this.session?.close();
    if (this.disks) rmSync(this.disks, { recursive: true, force: true });
  }

  /** Boots a workload at `at`; a workload that cannot boot is reported as faulted at once. */
  private boot(start: WorkloadStart, at: number): Finished | undefined {
    if (start.image.data !== undefined) this.images.set(start.image.sha256, Buffer.from(start.image.data, 'base64'));
    const disk = this.blankDisk(start);
    try {
      const image = this.image(start);
      this.consoles.set(start.name, []);
      this.session!.addGuest(guestEntry(start, disk), { at, image });
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      this.consoles.delete(start.name);
      if (disk) rmSync(disk, { force: true });
      const detail = `cannot boot: ${error.message}`;
      return { name: start.name, attempt: start.attempt, state: 'faulted', exitCode: null, detail, start: at, end: at, cycles: 0, instructions: 0, console: [] };
    }
    this.running.set(start.name, { start, startedAt: at, cyclesBefore: 0, ioBefore: 0, ended: false, disk });
    return undefined;
  }

  /** A sparse blank disk file for a workload with a disk (its name is the workload's: unique). */
  private blankDisk(start: WorkloadStart): string | undefined {
    const size = start.guest['disk-size'];
    if (size === undefined || !this.disks) return undefined;
    const file = join(this.disks, `${start.name}.raw`);
    writeFileSync(file, '');
    truncateSync(file, size);
    return file;
  }

  private image(start: WorkloadStart): GuestImage {
    const bytes = this.images.get(start.image.sha256);
    if (!bytes) throw new ImageError(`image ${start.image.label} (${start.image.sha256.slice(0, 12)}) was never sent to this slave`);
    return parseImage(bytes, start.image.label, { format: start.guest.format, loadAddress: start.guest['load-address'] });
  }

  /**
   * Runs to `to`, stopping early wherever a budgeted workload could first use up its budget: it
   * cannot run before `done` (no core had work before it) or its own core's present, and runs at
   * most one cycle per cycle from there.
   */
  private runTo(from: number, to: number): void {
    const session = this.session!;
    let done = from;
    for (;;) {
      const checkpoint = Math.min(to, this.budgetCheckpoint(done));
      const result = session.runUntil({ cycles: checkpoint });
      this.endSpentBudgets();
      if (checkpoint >= to || result.reason !== 'until-cycles') return;
      done = checkpoint;
    }
  }

  private budgetCheckpoint(done: number): number {
    let checkpoint = Infinity;
    for (const [name, r] of this.running) {
      if (r.start.budget === null || r.ended) continue;
      const used = this.session!.guest(name).report.cycles;
      checkpoint = Math.min(checkpoint, Math.max(done, r.startedAt) + Math.max(1, r.start.budget - used));
    }
    return checkpoint;
  }

  private endSpentBudgets(): void {
    for (const [name, r] of this.running) {
      if (r.start.budget === null || r.ended) continue;
      const status = this.session!.guest(name);
      if (status.endedAt === null && status.report.cycles >= r.start.budget) {
        this.session!.endGuest(name, 'cycle budget used');
        r.ended = true;
      }
    }
  }

  private report(time: number, finished: Finished[]): ReportBody {
    let busy = 0;
    let ioBusy = 0;
    const running: ReportBody['running'] = [];
    for (const [name, r] of [...this.running]) {
      const { report, endedAt } = this.session!.guest(name);
      const device = report.io?.phases['device'] ?? 0;
      busy += report.cycles - r.cyclesBefore;
      ioBusy += device - r.ioBefore;
      r.cyclesBefore = report.cycles;
      r.ioBefore = device;
      if (endedAt === null) {
        running.push({ name, cycles: report.cycles });
        continue;
      }
      finished.push(this.result(name, r, r.ended ? 'ended' : report.state === 'faulted' ? 'faulted' : 'halted', endedAt));
      this.running.delete(name);
      this.session!.releaseGuest(name);
      if (r.disk) rmSync(r.disk, { force: true });
    }
    return { kind: 'report', time, busy, ioBusy, running, finished };
  }

  private result(name: string, r: Running, state: Finished['state'], end: number): Finished {
    const { report } = this.session!.guest(name);
    const console = this.consoles.get(name) ?? [];
    this.consoles.delete(name);
    return {
      name,
      attempt: r.start.attempt,
      state,
      exitCode: state === 'halted' ? report.exitCode : null,
      detail: endDetail(state, report.exitCode, report.fault?.description),
      start: r.startedAt,
      end,
      cycles: report.cycles,
      instructions: report.instructions,
      console,
    };
  }
}

function endDetail(state: Finished['state'], exitCode: number | null, fault: string | undefined): string {
  switch (state) {
    case 'halted': return `exit code ${exitCode}`;
    case 'ended': return 'cycle budget used';
    case 'failed': return 'node failure';
    case 'faulted': return fault ?? 'faulted';
  }
}

/** The slave's system: its cores, its disks' timing and no guests yet. */
function slaveSystem(spec: SlaveSpec): SystemConfig {
  const io = { 'disk-timing': spec.diskTiming, cache: { policy: 'layered' as const, size: 4 << 20, block: 4096, write: 'through' as const } };
  return { cores: spec.cores, board: 'mps2-an386', 'slice-cycles': spec.sliceCycles, timing: spec.timing, io, guests: [], source: `slave ${spec.name}` };
}

/** A workload as a system-file guest entry, validated (and defaulted) the same way. */
function guestEntry(start: WorkloadStart, disk: string | undefined): GuestEntry {
  const { 'disk-size': _size, ...fields } = start.guest;
  const entry = { name: start.name, image: start.image.label, ...definedFields(fields), ...(disk ? { disk, 'disk-format': 'raw' } : {}) };
  return validateSystem({ board: BOARDS['mps2-an386']!.name, guests: [entry] }, `workload ${start.name}`).guests[0]!;
}

function definedFields(fields: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}
