/**
 * The physical I/O devices of the machine: the block controller with its disks and the console
 * UART, shared by whoever may drive them (the driver VM, driver code running in a caller's
 * context, the hypervisor's emulated backends). Each of those drives its own register slot.
 */
import { BLKCTL_LATCHED, BLKCTL_SLOT_STRIDE, BlockController } from '../../devices/block-controller.ts';
import { HostConsoleUart } from '../../devices/host-console-uart.ts';
import type { BlockImage } from '../storage/block-image.ts';
import type { DiskTiming } from '../storage/cache/disk-timing.ts';
import { ConfigError } from '../errors.ts';
import type { MmioLatch } from '../unicorn/engine.ts';
import { HostMemory } from '../unicorn/host-memory.ts';
import { HV_BLKCTL_BASE, HV_HOSTUART_BASE, HV_SLOT_STRIDE } from './layout.ts';

/** Slots fit between the block controller and the console UART (which has as many). */
const MAX_SLOTS = (HV_HOSTUART_BASE - HV_BLKCTL_BASE) / HV_SLOT_STRIDE;

export interface IoPlatformOptions {
  /** Disk images, one per unit of the block controller. */
  disks: readonly BlockImage[];
  timing: DiskTiming;
  cores: number;
  guests: number;
  /** Bytes the console UART sends on `channel` (a guest index). */
  console(channel: number, byte: number): void;
}

export class IoPlatform {
  readonly blockController: BlockController;
  readonly consoleUart: HostConsoleUart;
  readonly slotCount: number;
  /**
   * The block controller's register words in host memory: driver engines that map the
   * controller store the writes of its plain registers there themselves (no device call).
   */
  readonly blockControllerLatch: MmioLatch;

  constructor(private readonly options: IoPlatformOptions) {
    this.slotCount = 1 + options.cores + options.guests;
    if (this.slotCount > MAX_SLOTS) {
      throw new ConfigError(`io: ${options.cores} cores and ${options.guests} guests need ${this.slotCount} device register slots; the block controller has ${MAX_SLOTS}`);
    }
    const registers = new HostMemory(this.slotCount * BLKCTL_SLOT_STRIDE);
    registers.retain();
    this.blockControllerLatch = { store: registers, stride: BLKCTL_SLOT_STRIDE, mask: BLKCTL_LATCHED };
    const words = new Uint32Array(registers.bytes.buffer, registers.bytes.byteOffset, registers.size / 4);
    this.blockController = new BlockController('blkctl', options.disks, options.timing, this.slotCount, words);
    this.consoleUart = new HostConsoleUart('console-uart', this.slotCount, options.console);
  }

  /** Slot of driver code running in a caller's context on `core`. */
  inContextSlot(core: number): number {
    return 1 + core;
  }

  /** Slot of the hypervisor's emulated backend serving guest `guest`. */
  emulatedSlot(guest: number): number {
    return 1 + this.options.cores + guest;
  }

  /** Releases the register memory (after every engine that latches into it is closed). */
  close(): void {
    this.blockControllerLatch.store.release();
  }

  /** Where slot `slot`'s registers of the block controller and the console UART are. */
  slotAddresses(slot: number): { blk: number; uart: number } {
    return { blk: HV_BLKCTL_BASE + slot * HV_SLOT_STRIDE, uart: HV_HOSTUART_BASE + slot * HV_SLOT_STRIDE };
  }

}
