/**
 * The in-context I/O path, hvlab's central mechanism. When the guest notifies a queue, the
 * hypervisor traps, saves the guest's context, opens the driver window in the caller's context
 * on the caller's core, and calls the driver VM's interface function there with the driver's own
 * stack: the backend reads the virtqueue straight from the caller's memory and the physical
 * driver programs the block controller, whose DMA lands in the caller's buffers. When the call
 * returns the window is closed, the context restored and the completion interrupt injected. The
 * caller is blocked for the whole call; no other VM runs.
 */
import type { ArchOps, CallClock } from '../../arch/cpu.ts';
import type { SlotBinding } from '../../../devices/block-controller.ts';
import { contextTransferCycles, driverWindowCycles } from '../../time/cost-model.ts';
import type { VirtualTime } from '../../time/virtual-time.ts';
import { buildCall } from '../call-record.ts';
import { type DriverPathOptions, IoPathBase } from '../io-path.ts';
import { HV_MODE_DIRECT, HV_RESULT_NEEDS_RESET, HV_RESULT_NOTIFY, decodeCallResult } from '../layout.ts';
import { VIRTIO_ID, type VirtioTransport } from '../virtio-mmio.ts';
import { DriverContext } from './driver-context.ts';

export interface InContextPathOptions extends DriverPathOptions {
  arch: ArchOps;
}

export class InContextPath extends IoPathBase {
  readonly name = 'in-context';
  private context: DriverContext | undefined;
  /** The I/O being served and its controller slot (the clock and binding below are reused). */
  private io = 0;
  private slot = 0;
  private waited = false;
  private callClock: (CallClock & { time: VirtualTime }) | undefined;
  private binding: SlotBinding | undefined;
  /** The call record of the core the guest is on (`recordCore`), in the driver window's memory. */
  private recordBytes: Buffer | undefined;
  private recordCore = -1;

  constructor(private readonly o: InContextPathOptions) {
    super(o);
  }

  override close(): void {
    this.context?.close();
  }

  /** No I/O is in flight between steps; the driver context's engine keeps its registers and what it learned of the code. */
  override saveState(): unknown {
    return this.context && { runner: this.context.runner.saveState() };
  }

  override restoreState(state: unknown): void {
    const s = state as { runner: unknown } | undefined;
    if (s) this.driverContext().runner.restoreState(s.runner);
  }

  private driverContext(): DriverContext {
    return (this.context ??= new DriverContext(this.o.vm, this.o.driver, this.o.arch));
  }

  /** Runs after the notifying instruction: the driver call in the caller's context. */
  protected serve(io: number, transport: VirtioTransport, queue: number): void {
    const { vm, driver, costs } = this.o;
    const core = vm.coreIndex;
    this.charge(io, 'context save', contextTransferCycles(costs) + driverWindowCycles(costs) + costs.driverCall.cycles, true);
    const record = driver.callRecord(core);
    const slot = driver.platform.inContextSlot(core);
    const context = this.driverContext();
    const recordBytes = this.callRecordBytes(core);
    buildCall(HV_MODE_DIRECT, this.o, transport, queue, driver.platform.slotAddresses(slot), recordBytes);
    this.io = io;
    this.slot = slot;
    this.waited = false;
    const clock = (this.callClock ??= this.driverClock(context));
    driver.platform.blockController.bind(slot, (this.binding ??= this.slotBinding(clock.time)));
    const entry = transport.deviceId === VIRTIO_ID.BLOCK ? driver.interface.blkNotify : driver.interface.consoleNotify;
    const outcome = context.runner.call(entry, record, driver.stackTop(core), clock);
    if (outcome.kind === 'failed') {
      vm.announce([`driver call failed: ${outcome.reason}`]);
      transport.needsReset();
    }
    this.finish(io, transport, queue, recordBytes);
  }

  /** Core `core`'s call record (the view changes only when the guest moved to another core). */
  private callRecordBytes(core: number): Buffer {
    if (core !== this.recordCore || !this.recordBytes) {
      this.recordBytes = this.o.driver.callRecordBytes(core);
      this.recordCore = core;
    }
    return this.recordBytes;
  }

  /**
   * The caller's clock during the call: it runs on while the driver executes and waits. Driver
   * instructions before the first device wait are the 'driver run' phase; those after a device
   * completion (status, used ring) are 'completion'. Made once: it serves the I/O in `this.io`.
   */
  private driverClock(context: DriverContext): CallClock & { time: VirtualTime } {
    const clock = this.o.vm.clock;
    const controller = this.o.driver.platform.blockController;
    const time: VirtualTime = {
      hz: clock.hz,
      now: () => clock.now() + context.runner.cyclesNow,
      schedule: (at, label, fire) => clock.schedule(at, label, fire),
      cancel: (event) => clock.cancel(event),
    };
    return {
      time,
      elapsed: (cycles: number) => this.charge(this.io, this.waited ? 'completion' : 'driver run', cycles, true),
      waitForDevice: () => {
        const done = controller.completionTime(this.slot);
        if (done === undefined) return undefined;
        this.waited = true;
        const wait = Math.max(0, done - clock.now());
        this.charge(this.io, 'device', wait, true);
        controller.poll(this.slot);
        return wait;
      },
    };
  }

  /** The block controller slot's view of the call (made once, like the clock). */
  private slotBinding(time: VirtualTime): SlotBinding {
    return {
      time,
      dma: this.o.vm.memory,
      completed: (_status, c) => c.ok && c.op !== 'flush' && this.o.tracker.served(this.io, 0, c.count * 512, 0),
    };
  }

  private finish(io: number, transport: VirtioTransport, queue: number, raw: Buffer): void {
    const { costs, tracker } = this.o;
    const result = decodeCallResult(raw);
    transport.syncQueue(queue, result);
    tracker.served(io, result.completed, 0, result.errors);
    this.charge(io, 'restore', contextTransferCycles(costs) + driverWindowCycles(costs), true);
    if (result.result & HV_RESULT_NEEDS_RESET) transport.needsReset();
    if (result.result & HV_RESULT_NOTIFY) {
      this.charge(io, 'interrupt injection', costs.interruptInjection.cycles, true);
      transport.complete();
    }
    tracker.end(io, this.o.vm.clock.now());
  }
}
