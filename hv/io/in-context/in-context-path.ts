/**
 * The in-context I/O path, hvlab's central mechanism. When the guest notifies a queue, the
 * hypervisor traps, saves the guest's context, opens the driver window in the caller's context
 * on the caller's core, and calls the driver VM's interface function there with the driver's own
 * stack: the backend reads the virtqueue straight from the caller's memory and the physical
 * driver programs the block controller, whose DMA lands in the caller's buffers. When the call
 * returns the window is closed, the context restored and the completion interrupt injected. The
 * caller is blocked for the whole call; no other VM runs.
 */
import { contextTransferCycles, driverWindowCycles, mmioTrapCycles } from '../../time/cost-model.ts';
import type { VirtualTime } from '../../time/virtual-time.ts';
import { buildCall } from '../call-record.ts';
import type { DriverPathOptions, IoPath } from '../io-path.ts';
import { CALL_SIZE, HV_BLKCTL_BASE, HV_HOSTUART_BASE, HV_MODE_DIRECT, HV_RESULT_NEEDS_RESET, HV_RESULT_NOTIFY, HV_SLOT_STRIDE, decodeCallResult } from '../layout.ts';
import { VIRTIO_ID, type VirtioTransport } from '../virtio-mmio.ts';
import { DriverCallFailed, type DriverContext as Context, DriverContext } from './driver-context.ts';

export interface InContextPathOptions extends DriverPathOptions {
  /** The core the caller runs on now. */
  core(): number;
}

export class InContextPath implements IoPath {
  readonly name = 'in-context';
  private context: Context | undefined;

  constructor(private readonly o: InContextPathOptions) {}

  notify(transport: VirtioTransport, queue: number): void {
    const vm = this.o.vm;
    const trap = mmioTrapCycles(this.o.costs);
    const io = this.o.tracker.begin(transport.name, vm.clock.now() - trap);
    this.o.tracker.phase(io, 'trap', vm.clock.now() - trap, trap);
    vm.defer(() => this.call(io, transport, queue));
  }

  reset(transport: VirtioTransport): void {
    void transport;
  }

  close(): void {
    this.context?.close();
  }

  private charge(io: number, phase: string, cycles: number): void {
    const clock = this.o.vm.clock;
    this.o.tracker.phase(io, phase, clock.now(), cycles, true);
    clock.charge(cycles);
  }

  /** Runs after the notifying instruction: the driver call in the caller's context. */
  private call(io: number, transport: VirtioTransport, queue: number): void {
    const { vm, driver, costs } = this.o;
    const core = this.o.core();
    this.charge(io, 'context save', contextTransferCycles(costs) + driverWindowCycles(costs) + costs.driverCall.cycles);
    const record = driver.callRecord(core);
    const slot = driver.platform.inContextSlot(core);
    const slots = { blk: HV_BLKCTL_BASE + slot * HV_SLOT_STRIDE, uart: HV_HOSTUART_BASE + slot * HV_SLOT_STRIDE };
    const context = (this.context ??= new DriverContext(vm, driver));
    context.engine.writeMemory(record, buildCall(HV_MODE_DIRECT, this.o, transport, queue, slots));
    const clock = this.driverClock(io, context, slot);
    driver.platform.blockController.bind(slot, {
      time: clock.time,
      dma: vm.memory,
      completed: (_status, c) => c.ok && c.op !== 'flush' && this.o.tracker.served(io, 0, c.count * 512, 0),
    });
    const entry = transport.deviceId === VIRTIO_ID.BLOCK ? driver.interface.blkNotify : driver.interface.consoleNotify;
    try {
      context.call(entry, record, driver.stackTop(core), clock);
    } catch (error) {
      if (!(error instanceof DriverCallFailed)) throw error;
      vm.announce([`driver call failed: ${error.message}`]);
      transport.needsReset();
    }
    this.finish(io, transport, queue, context.engine.readMemory(record, CALL_SIZE));
  }

  /**
   * The caller's clock during the call: it runs on while the driver executes and waits. Driver
   * instructions before the first device wait are the 'driver run' phase; those after a device
   * completion (status, used ring) are 'completion'.
   */
  private driverClock(io: number, context: Context, slot: number) {
    const clock = this.o.vm.clock;
    const controller = this.o.driver.platform.blockController;
    let waited = false;
    const time: VirtualTime = {
      hz: clock.hz,
      now: () => clock.now() + context.engine.counter.cycles,
      schedule: (at, label, fire) => clock.schedule(at, label, fire),
      cancel: (event) => clock.cancel(event),
    };
    return {
      time,
      elapsed: (cycles: number) => this.charge(io, waited ? 'completion' : 'driver run', cycles),
      waitForDevice: () => {
        const done = controller.completionTime(slot);
        if (done === undefined) return undefined;
        waited = true;
        const wait = Math.max(0, done - clock.now());
        this.o.tracker.phase(io, 'device', clock.now(), wait, true);
        clock.charge(wait);
        controller.poll(slot);
        return wait;
      },
    };
  }

  private finish(io: number, transport: VirtioTransport, queue: number, raw: Buffer): void {
    const { costs, tracker } = this.o;
    const result = decodeCallResult(raw);
    const q = transport.queues[queue]!;
    q.lastAvail = result.lastAvail;
    q.usedIdx = result.usedIdx;
    tracker.served(io, result.completed, 0, result.errors);
    this.charge(io, 'restore', contextTransferCycles(costs) + driverWindowCycles(costs));
    if (result.result & HV_RESULT_NEEDS_RESET) transport.needsReset();
    if (result.result & HV_RESULT_NOTIFY) {
      this.charge(io, 'interrupt injection', costs.interruptInjection.cycles);
      transport.complete();
    }
    tracker.end(io, this.o.vm.clock.now());
  }
}
