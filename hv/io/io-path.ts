/**
 * How a guest's virtio notifications are served. Three paths implement it:
 *  - in-context: the driver VM's backend and physical driver run in the caller's context on the
 *    caller's core (the mechanism hvlab models);
 *  - split: an event to the driver VM, which runs on its own vCPU and reaches the guest's buffers
 *    through grant copies (Xen's split-driver model);
 *  - emulated: a backend in the hypervisor itself (QEMU's device emulation).
 * One rule for all three: an I/O begins with the MMIO trap of the notification (its first
 * phase), and the path's own work starts when that trap ends, after the notifying instruction,
 * so no phase overlaps guest instructions and an I/O's latency is the sum of its phases.
 */
import type { Vm } from '../core/vm.ts';
import type { TrapSpan } from '../core/vm-accounting.ts';
import type { CostTable } from '../time/cost-model.ts';
import type { DriverVm } from './driver-vm.ts';
import type { IoTracker } from './io-tracker.ts';
import type { VirtioTransport } from './virtio-mmio.ts';

export type IoPathName = 'in-context' | 'split' | 'emulated';
export const IO_PATHS: readonly IoPathName[] = ['in-context', 'split', 'emulated'];

export interface IoPath {
  readonly name: IoPathName;
  /** The guest notified `queue` of `transport` with the MMIO trap `trap` (in progress). */
  notify(transport: VirtioTransport, queue: number, trap: TrapSpan): void;
  /** The guest reset the device: forget in-flight work of that transport. */
  reset(transport: VirtioTransport): void;
  /** Releases what the path holds (engines). */
  close(): void;
  /** Its work in flight as plain data, for a checkpoint (transports named by their name). */
  saveState(): unknown;
  /** Puts back saveState()'s data, re-creating the path's pending events; `transport` finds a transport by name. */
  restoreState(state: unknown, transport: (name: string) => VirtioTransport): void;
}

/** What every path is built with. */
export interface IoPathOptions {
  vm: Vm;
  tracker: IoTracker;
  costs: CostTable;
  /** Disk unit and size (sectors) of this guest's virtio-blk. */
  unit: number;
  capacity: number;
}

/** What the paths that call the driver VM's code (in-context, split) are built with. */
export interface DriverPathOptions extends IoPathOptions {
  driver: DriverVm;
  /** The frontend number: the grant domain and the driver VM's queue-state index. */
  frontend: number;
  /** Console UART channel (the guest's index). */
  channel: number;
}

/**
 * The notify frame every path shares: the I/O begins with the trap, and `serve` runs when the
 * trap ends (after the notifying instruction), where its costs follow the trap on the guest's clock.
 */
export abstract class IoPathBase implements IoPath {
  abstract readonly name: IoPathName;

  constructor(protected readonly base: IoPathOptions) {}

  notify(transport: VirtioTransport, queue: number, trap: TrapSpan): void {
    const io = this.base.tracker.beginNotify(transport.name, trap);
    this.base.vm.defer(() => this.serve(io, transport, queue));
  }

  /** Serves I/O `io` (notification of `queue` of `transport`), after its trap. */
  protected abstract serve(io: number, transport: VirtioTransport, queue: number): void;

  reset(_transport: VirtioTransport): void {}

  close(): void {}

  /** A path that finishes its I/Os within the notifying step has nothing in flight between steps. */
  saveState(): unknown {
    return undefined;
  }

  restoreState(_state: unknown, _transport: (name: string) => VirtioTransport): void {}

  /** Hypervisor work of I/O `io` on the guest's clock, from now. */
  protected charge(io: number, phase: string, cycles: number, sync = false): void {
    this.base.tracker.charge(io, phase, cycles, this.base.vm.clock, sync);
  }
}
