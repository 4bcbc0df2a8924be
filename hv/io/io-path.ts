/**
 * How a guest's virtio notifications are served. Three paths implement it:
 *  - in-context: the driver VM's backend and physical driver run in the caller's context on the
 *    caller's core (the mechanism hvlab models);
 *  - split: an event to the driver VM, which runs on its own vCPU and reaches the guest's buffers
 *    through grant copies (Xen's split-driver model);
 *  - emulated: a backend in the hypervisor itself (QEMU's device emulation).
 */
import type { Vm } from '../core/vm.ts';
import type { CostTable } from '../time/cost-model.ts';
import type { DriverVm } from './driver-vm.ts';
import type { IoTracker } from './io-tracker.ts';
import type { VirtioTransport } from './virtio-mmio.ts';

export type IoPathName = 'in-context' | 'split' | 'emulated';
export const IO_PATHS: readonly IoPathName[] = ['in-context', 'split', 'emulated'];

export interface IoPath {
  readonly name: IoPathName;
  /** The guest notified `queue` of `transport`; called after the trapping instruction. */
  notify(transport: VirtioTransport, queue: number): void;
  /** The guest reset the device: forget in-flight work of that transport. */
  reset(transport: VirtioTransport): void;
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
