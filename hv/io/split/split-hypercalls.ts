/**
 * The driver VM's side of the split path: its event channel (the mailbox) and its hypercalls
 * (SVC numbers in firmware/lib/hvlab-io.h).
 *
 * Event channel, as Xen's: one port per frontend queue. A notification whose port already has an
 * event the driver has not begun to serve is coalesced into it (the driver reads the queue's
 * available index with its first hypercall for the event, so it sees the new buffers too); when
 * the 16-slot mailbox is full, events wait in the hypervisor, one per port at most, and are posted
 * as slots free. So a frontend that notifies in a loop holds at most two events per port (the one
 * the driver serves and one not begun), and no other frontend's event is ever dropped or delayed
 * beyond the others' fair share.
 *
 * Hypercalls:
 *  - GRANT_COPY_FROM / GRANT_COPY_TO (r0 frontend, r1 frontend address, r2 local address,
 *    r3 length): the hypervisor checks that the frontend uses the split path, that the range is
 *    the frontend's RAM and that the local range is the driver's window, then copies; r0 = 0, or
 *    -1 when any check fails;
 *  - QUEUE_STATE (r0 = a call record in the window): the driver processed an event; the
 *    hypervisor updates the frontend's queue state and interrupts it when asked to;
 *  - READY: the driver VM finished initialising.
 * Each hypercall is counted for the I/O of the frontend it concerns. Other SVC numbers are the
 * driver VM's own (they raise its SVCall exception).
 */
import { grantCopyCycles } from '../../time/cost-model.ts';
import type { DriverVm } from '../driver-vm.ts';
import { CALL_SIZE, HV_DRIVER_VM_SLOT, HV_GRANT_DENIED, HV_GRANT_OK, HV_SVC, HV_VIRTIO_BLK_MAX_BYTES, decodeCallResult } from '../layout.ts';
import type { VirtioTransport } from '../virtio-mmio.ts';
import type { OpenIo, SplitPath } from './split-path.ts';

export type QueueStateReport = ReturnType<typeof decodeCallResult>;

/** An I/O sent to the driver VM as a checkpoint keeps it (its path by frontend, its transport by name). */
type SavedIo = Omit<OpenIo, 'path' | 'transport' | 'record' | 'notice'> & { readonly frontend: number; readonly transport: string; readonly notice: boolean };

interface HypercallsState {
  readonly inFlight: readonly SavedIo[];
  readonly waiting: readonly SavedIo[];
}

export class SplitHypercalls {
  private readonly frontends = new Map<number, SplitPath>();
  /** I/Os whose event is in the mailbox or taken by the driver, in posting order (it serves them in order). */
  private readonly inFlight: OpenIo[] = [];
  /** I/Os whose event waits for a mailbox slot, in notification order. */
  private readonly waiting: OpenIo[] = [];

  constructor(private readonly driver: DriverVm) {
    driver.vm.onHypercall((imm) => this.hypercall(imm));
    driver.platform.blockController.completions.add((c) => {
      const head = this.inFlight[0];
      // A dropped I/O has ended: the device time its event still costs is the driver's alone.
      if (c.slot !== HV_DRIVER_VM_SLOT || !head || head.dropped) return;
      head.deviceCycles += c.end - c.start;
      head.path.tracker.phase(head.io, 'device', c.start, c.end - c.start);
      if (c.ok && c.op !== 'flush') head.path.tracker.served(head.io, 0, c.count * 512, 0);
    });
  }

  register(frontend: number, path: SplitPath): void {
    this.frontends.set(frontend, path);
  }

  /**
   * True when the port of (path, device, queue) has an event the driver has not begun to serve
   * (waiting for a slot, or in the mailbox with no hypercall of the driver for it yet): a new
   * notification is coalesced into it. The driver reads the queue's available index once per
   * event, with its first hypercall, and gives the mailbox slot back only after its report: an
   * event it has begun to serve would not see the buffers of a notification merged into it, so
   * that notification gets an event of its own (virtio: every available buffer is used after a
   * notification).
   */
  pending(path: SplitPath, device: number, queue: number): boolean {
    const samePort = (o: OpenIo) => !o.dropped && o.path === path && o.transport.deviceId === device && o.queue === queue;
    if (this.waiting.some(samePort)) return true;
    return this.inFlight.some((o) => samePort(o) && o.firstHypercall === undefined);
  }

  /**
   * Sends the event of `open`: it reaches the driver VM when the driver's clock gets to the
   * notification's time (or at the driver's next step if its core is ahead: cores run within a
   * slice of each other), and enters the mailbox then or when a slot frees.
   */
  send(open: OpenIo): void {
    this.waiting.push(open);
    this.notify(open);
  }

  /**
   * The guest reset `transport` (virtio 1.2 §2.4.1): the I/Os of `path` on it that wait for a
   * mailbox slot are withdrawn, and those in the mailbox or at the driver are dropped: the driver
   * cannot be called back, so it still serves their events, but every grant copy of a dropped
   * I/O is denied (nothing reaches the frontend's memory or queue, and nothing new is read from
   * it) and its QUEUE_STATE report is ignored (no queue state, no interrupt). Returns the I/Os
   * dropped now.
   */
  drop(path: SplitPath, transport: VirtioTransport): number[] {
    const ofTransport = (o: OpenIo) => !o.dropped && o.path === path && o.transport === transport;
    const withdrawn = this.waiting.filter(ofTransport);
    for (const open of withdrawn) {
      this.driver.vm.clock.cancel(open.notice);
      this.waiting.splice(this.waiting.indexOf(open), 1);
    }
    const dropped = this.inFlight.filter(ofTransport);
    for (const open of dropped) open.dropped = true;
    return [...dropped, ...withdrawn].map((o) => o.io);
  }

  /** The I/Os in the mailbox or at the driver, and those waiting for a mailbox slot (a checkpoint). */
  saveState(): HypercallsState {
    const save = (o: OpenIo): SavedIo => {
      const { path, transport, record: _record, notice, ...rest } = o;
      return { ...rest, frontend: path.frontend, transport: transport.name, notice: notice !== undefined };
    };
    return { inFlight: this.inFlight.map(save), waiting: this.waiting.map(save) };
  }

  restoreState(s: HypercallsState, transport: (name: string) => VirtioTransport): void {
    const load = (saved: SavedIo): OpenIo => {
      const { frontend, transport: name, notice, io, queue, posted, ...rest } = saved;
      const open = Object.assign(this.frontends.get(frontend)!.openIo(io, transport(name), queue, posted), rest);
      if (notice) this.notify(open);
      return open;
    };
    this.inFlight.splice(0, this.inFlight.length, ...s.inFlight.map(load));
    this.waiting.splice(0, this.waiting.length, ...s.waiting.map(load));
  }

  /** The event that makes `open` reach the driver VM at the notification's time. */
  private notify(open: OpenIo): void {
    open.notice = this.driver.vm.clock.schedule(open.posted, `evtchn ${open.path.vm.name}`, () => {
      open.notice = undefined;
      this.postWaiting();
    });
  }

  /** A vCPU switch brought the driver VM onto its core: counted for the I/O it serves. */
  worldSwitch(): void {
    const head = this.inFlight[0];
    head?.path.tracker.worldSwitch();
  }

  /** Posts the waiting events that are due, in order, while the mailbox has room. */
  private postWaiting(): void {
    const now = this.driver.vm.clock.now();
    for (let i = 0; i < this.waiting.length; ) {
      const open = this.waiting[i]!;
      if (open.posted > now) {
        i++;
        continue;
      }
      const sequence = this.driver.postEvent(open.record());
      if (sequence === undefined) return;
      this.waiting.splice(i, 1);
      open.sequence = sequence;
      this.inFlight.push(open);
    }
  }

  private hypercall(imm: number): boolean {
    const cpu = this.driver.vm.cpu;
    const [r0, r1, r2, r3] = cpu.hypercallArgs();
    switch (imm) {
      case HV_SVC.GRANT_COPY_FROM:
      case HV_SVC.GRANT_COPY_TO:
        this.trap(`grant copy ${imm === HV_SVC.GRANT_COPY_FROM ? 'from' : 'to'} frontend ${r0}`, this.current(r0));
        cpu.setHypercallResult(this.grantCopy(imm === HV_SVC.GRANT_COPY_FROM, r0, r1, r2, r3));
        return true;
      case HV_SVC.QUEUE_STATE:
        this.queueState(r0);
        this.postWaiting();
        return true;
      case HV_SVC.READY:
        this.trap('driver ready', undefined);
        return true;
      default:
        return false;
    }
  }

  private trap(detail: string, io: OpenIo | undefined): void {
    this.driver.vm.trap('hypercall', detail, this.driver.vm.cpu.pc());
    io?.path.tracker.trap();
    if (io && io.firstHypercall === undefined) io.firstHypercall = this.driver.vm.clock.now();
  }

  /** The oldest in-flight I/O of `frontend`. */
  private current(frontend: number): OpenIo | undefined {
    return this.inFlight.find((o) => o.path.frontend === frontend);
  }

  private grantCopy(fromFrontend: boolean, frontend: number, remote: number, local: number, length: number): number {
    const path = this.frontends.get(frontend);
    const io = this.current(frontend);
    if (!path || io?.dropped || length > HV_VIRTIO_BLK_MAX_BYTES) return HV_GRANT_DENIED;
    const source = fromFrontend ? path.vm.memory : this.driver.windowMemory;
    const target = fromFrontend ? this.driver.windowMemory : path.vm.memory;
    const data = source.read(fromFrontend ? remote : local, length);
    if (!data || !target.write(fromFrontend ? local : remote, data)) return HV_GRANT_DENIED;
    const cycles = grantCopyCycles(this.driver.costs, length);
    if (io) {
      io.grantCycles += cycles;
      path.tracker.phase(io.io, 'grant copy', this.driver.vm.clock.now(), cycles);
    }
    this.driver.vm.clock.charge(cycles);
    return HV_GRANT_OK;
  }

  /** The driver answered an event: the oldest in-flight I/O of that frontend queue completes. */
  private queueState(address: number): void {
    const raw = this.driver.windowMemory.read(address, CALL_SIZE);
    const report = raw && decodeCallResult(Buffer.from(raw));
    const path = report && this.frontends.get(report.frontend);
    const index = path ? this.inFlight.findIndex((o) => o.path === path && o.transport.deviceId === report.device && o.queue === report.queue) : -1;
    const open = index < 0 ? undefined : this.inFlight.splice(index, 1)[0];
    this.trap(`queue state at 0x${address.toString(16)}`, open);
    if (open && report && !open.dropped) open.path.queueState(open, report, this.driver.vm.clock.now());
  }
}
