/**
 * The split I/O path, Xen's split-driver model as the baseline: a notification becomes an event
 * to the driver VM, which runs on its own vCPU (scheduled like any guest), reaches the frontend's
 * queue and buffers only through hypervisor-checked grant copies, drives the physical device with
 * its interrupt, and reports back with a hypercall; the hypervisor then interrupts the frontend.
 * The frontend keeps running meanwhile.
 */
import type { TrapSpan } from '../../core/vm-accounting.ts';
import type { ScheduledEvent } from '../../time/event-queue.ts';
import type { Vm } from '../../core/vm.ts';
import { buildCall } from '../call-record.ts';
import { type DriverPathOptions, IoPathBase } from '../io-path.ts';
import type { IoTracker } from '../io-tracker.ts';
import { HV_BLKCTL_BASE, HV_HOSTUART_BASE, HV_MODE_GRANT, HV_RESULT_NEEDS_RESET, HV_RESULT_NOTIFY } from '../layout.ts';
import type { VirtioTransport } from '../virtio-mmio.ts';
import type { QueueStateReport, SplitHypercalls } from './split-hypercalls.ts';

export interface SplitPathOptions extends DriverPathOptions {
  /** The driver VM's hypercall handler, shared by every split frontend of the system. */
  hypercalls: SplitHypercalls;
}

/** An I/O in flight: sent to the driver VM, not yet reported back. */
export interface OpenIo {
  readonly path: SplitPath;
  readonly io: number;
  readonly transport: VirtioTransport;
  readonly queue: number;
  /** Its event record, built when it enters the mailbox (with the queue state of that moment). */
  readonly record: () => Buffer;
  /** When the event was sent (the frontend's time). */
  readonly posted: number;
  /** Its number in the mailbox, once posted. */
  sequence: number | undefined;
  /** When the driver made its first hypercall for it: it has begun to serve it (read the queue), so no notification is coalesced into it any more. */
  firstHypercall: number | undefined;
  grantCycles: number;
  deviceCycles: number;
  /** The guest reset its device after it was sent: it has ended, and the driver's answer is ignored. */
  dropped: boolean;
  /** The event that brings it to the driver VM, while it is pending. */
  notice?: ScheduledEvent | undefined;
}

/** An I/O the driver VM has answered whose completion reaches the frontend at `at`. */
interface Completion {
  readonly io: number;
  readonly transport: VirtioTransport;
  readonly driverNow: number;
  readonly delay: number;
  readonly notify: boolean;
  readonly at: number;
}

type SavedCompletion = Omit<Completion, 'transport'> & { readonly transport: string };

export class SplitPath extends IoPathBase {
  readonly name = 'split';
  /** Completions on their way to the frontend, oldest first. */
  private readonly completions: Completion[] = [];
  /** The event that delivers each completion (a reset cancels it). */
  private readonly deliveries = new Map<Completion, ScheduledEvent>();

  constructor(private readonly o: SplitPathOptions) {
    super(o);
    o.hypercalls.register(o.frontend, this);
  }

  get vm(): Vm {
    return this.o.vm;
  }

  get tracker(): IoTracker {
    return this.o.tracker;
  }

  get frontend(): number {
    return this.o.frontend;
  }

  /**
   * A notification whose queue already has an event the driver has not taken is coalesced into
   * it (as Xen's event channels are): its trap is charged and counted, it opens no I/O of its own.
   */
  override notify(transport: VirtioTransport, queue: number, trap: TrapSpan): void {
    if (!this.o.hypercalls.pending(this, transport.deviceId, queue)) return super.notify(transport, queue, trap);
    this.o.tracker.coalesced();
  }

  /** After the notification's trap: send the event to the driver VM. */
  protected serve(io: number, transport: VirtioTransport, queue: number): void {
    const { vm, costs } = this.o;
    this.charge(io, 'event channel', costs.eventChannelSend.cycles);
    this.o.hypercalls.send(this.openIo(io, transport, queue, vm.clock.now()));
  }

  /** I/O `io` on its way to the driver VM; its event record is built when it enters the mailbox. */
  openIo(io: number, transport: VirtioTransport, queue: number, posted: number): OpenIo {
    const record = () => buildCall(HV_MODE_GRANT, this.o, transport, queue, { blk: HV_BLKCTL_BASE, uart: HV_HOSTUART_BASE });
    return { path: this, io, transport, queue, record, posted, sequence: undefined, firstHypercall: undefined, grantCycles: 0, deviceCycles: 0, dropped: false };
  }

  /**
   * The guest reset the device: its I/Os in flight are dropped and end now (virtio 1.2 §2.4.1).
   * Those the driver VM still holds are the hypercalls' to drop; an answered one whose
   * completion is on its way loses its interrupt (the reset cleared InterruptStatus).
   */
  override reset(transport: VirtioTransport): void {
    const { vm, tracker, hypercalls } = this.o;
    const ended = hypercalls.drop(this, transport);
    for (const c of this.completions.filter((c) => c.transport === transport)) {
      vm.clock.cancel(this.deliveries.get(c));
      this.deliveries.delete(c);
      this.completions.splice(this.completions.indexOf(c), 1);
      ended.push(c.io);
    }
    for (const io of ended.sort((a, b) => a - b)) tracker.end(io, vm.clock.now());
  }

  /** The completions on their way to the frontend (a checkpoint; the I/Os at the driver are the hypercalls'). */
  override saveState(): SavedCompletion[] {
    return this.completions.map((c) => ({ ...c, transport: c.transport.name }));
  }

  override restoreState(state: unknown, transport: (name: string) => VirtioTransport): void {
    this.completions.length = 0;
    for (const c of state as SavedCompletion[]) this.scheduleCompletion({ ...c, transport: transport(c.transport) });
  }

  /** The driver VM reported a processed event (HV_SVC_QUEUE_STATE). */
  queueState(open: OpenIo, report: QueueStateReport, driverNow: number): void {
    const { tracker, costs } = this.o;
    open.transport.syncQueue(report.queue, report);
    const start = open.firstHypercall ?? driverNow;
    tracker.phase(open.io, 'driver wait', open.posted, Math.max(0, start - open.posted));
    const run = Math.max(0, driverNow - start - open.grantCycles - open.deviceCycles);
    tracker.phase(open.io, 'driver run', start, run);
    tracker.served(open.io, report.completed, 0, report.errors);
    if (report.result & HV_RESULT_NEEDS_RESET) open.transport.needsReset();
    const notify = (report.result & HV_RESULT_NOTIFY) !== 0;
    const delay = costs.eventChannelSend.cycles + (notify ? costs.interruptInjection.cycles : 0);
    this.scheduleCompletion({ io: open.io, transport: open.transport, driverNow, delay, notify, at: driverNow + delay });
  }

  private scheduleCompletion(c: Completion): void {
    const { vm, tracker } = this.o;
    this.completions.push(c);
    const delivery = vm.clock.schedule(c.at, `evtchn ${vm.name} completion`, (at) => {
      this.completions.splice(this.completions.indexOf(c), 1);
      this.deliveries.delete(c);
      tracker.phase(c.io, 'interrupt injection', c.driverNow, c.delay);
      if (c.notify) c.transport.complete();
      tracker.end(c.io, at);
    });
    this.deliveries.set(c, delivery);
  }
}
