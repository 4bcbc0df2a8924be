/**
 * The driver VM: an ordinary guest whose image lives in the driver window and which alone owns
 * the physical devices. The hypervisor maps the block controller and the console UART into it
 * (slot 0, with the completion interrupt), reads the interface table it publishes, lends its
 * window to callers for in-context driver calls, and exchanges events with it in the split path.
 */
import type { Vm } from '../core/vm.ts';
import { ConfigError } from '../errors.ts';
import type { GuestRam } from '../core/board-instance.ts';
import type { CostTable } from '../time/cost-model.ts';
import type { MemoryPort } from '../../devices/memory-port.ts';
import type { IoPlatform } from './io-platform.ts';
import {
  CALL_SIZE,
  HV_BLKCTL_BASE,
  HV_BLKCTL_IRQ,
  HV_DRIVER_VM_SLOT,
  HV_EVTCHN_IRQ,
  HV_HOSTUART_BASE,
  HV_INTERFACE_ADDR,
  HV_INTERFACE_MAGIC,
  HV_INTERFACE_VERSION,
  HV_MAILBOX_SLOTS,
  HV_MAX_CORES,
  HV_WINDOW_BASE,
  HV_WINDOW_SIZE,
  INTERFACE_FIELDS,
  MAILBOX_EVENTS_OFFSET,
} from './layout.ts';

export type DriverInterface = Record<(typeof INTERFACE_FIELDS)[number], number>;

/** The driver window as a memory region of the driver VM (see devices/platforms/board.ts). */
export const DRIVER_WINDOW_REGION = { name: 'driver-window', base: HV_WINDOW_BASE, size: HV_WINDOW_SIZE, perms: 'rwx' } as const;

export class DriverVm {
  readonly window: GuestRam;
  /** The interface table the driver image publishes (checked at boot). */
  readonly interface: DriverInterface;

  constructor(
    readonly vm: Vm,
    readonly platform: IoPlatform,
    readonly costs: CostTable,
    readonly cores: number,
  ) {
    const window = vm.board.memory.find((m) => m.base === HV_WINDOW_BASE);
    if (!window) throw new ConfigError(`driver VM ${vm.name}: no driver window at 0x${HV_WINDOW_BASE.toString(16)}`);
    this.window = window;
    vm.addDevice(HV_BLKCTL_BASE, platform.blockController);
    vm.addDevice(HV_HOSTUART_BASE, platform.consoleUart);
    this.interface = this.readInterface();
    platform.blockController.bind(HV_DRIVER_VM_SLOT, {
      time: vm.clock,
      dma: this.windowMemory,
      irq: (high) => vm.cpu.setIrq(HV_BLKCTL_IRQ, high),
    });
  }

  get name(): string {
    return this.vm.name;
  }

  /** The driver's own memory (the window), as its DMA and grant copies may use it. */
  readonly windowMemory: MemoryPort = {
    read: (address, length) => (this.inWindow(address, length) ? this.vm.engine.tryReadMemory(address, length) : undefined),
    write: (address, data) => this.inWindow(address, data.length) && this.vm.engine.tryWriteMemory(address, data),
  };

  inWindow(address: number, length: number): boolean {
    return length >= 0 && address >= HV_WINDOW_BASE && address + length <= HV_WINDOW_BASE + HV_WINDOW_SIZE;
  }

  /** The interface table the driver image publishes at HV_INTERFACE_ADDR, checked. */
  private readInterface(): DriverInterface {
    const bytes = this.vm.engine.readMemory(HV_INTERFACE_ADDR, INTERFACE_FIELDS.length * 4);
    const table = Object.fromEntries(INTERFACE_FIELDS.map((f, i) => [f, bytes.readUInt32LE(4 * i)])) as DriverInterface;
    const image = this.vm.config.image.file;
    if (table.magic !== HV_INTERFACE_MAGIC) {
      throw new ConfigError(`${image}: no driver interface table at 0x${HV_INTERFACE_ADDR.toString(16)} (magic 0x${table.magic.toString(16)})`);
    }
    if (table.version !== HV_INTERFACE_VERSION) throw new ConfigError(`${image}: driver interface version ${table.version}, hvlab speaks ${HV_INTERFACE_VERSION}`);
    const inside = (a: number, n = 1) => this.inWindow(a & ~1, n);
    if (!inside(table.calls, CALL_SIZE * HV_MAX_CORES) || !inside(table.blkNotify) || !inside(table.consoleNotify)) {
      throw new ConfigError(`${image}: the driver interface table points outside the driver window`);
    }
    return table;
  }

  /**
   * Core `core`'s call record as a view of the window's host memory: the hypervisor writes and
   * reads it in place, without a host call (the records are data, never code).
   */
  callRecordBytes(core: number): Buffer {
    const offset = this.callRecord(core) - HV_WINDOW_BASE;
    return Buffer.from(this.window.host.bytes.buffer, this.window.host.bytes.byteOffset + offset, CALL_SIZE);
  }

  /** Address of core `core`'s call record. */
  callRecord(core: number): number {
    return this.interface.calls + core * CALL_SIZE;
  }

  /** Top of core `core`'s driver stack. */
  stackTop(core: number): number {
    const t = this.interface;
    return (t.stacksTop - core * t.stackSize) >>> 0;
  }

  /**
   * The mailbox's counters (free-running): the hypervisor advances head when it posts, the
   * driver advances tail when it has served an event (after its QUEUE_STATE report).
   */
  mailboxCounters(): { head: number; tail: number } {
    const words = this.vm.engine.readMemory(this.interface.mailbox, 8);
    return { head: words.readUInt32LE(0), tail: words.readUInt32LE(4) };
  }

  /**
   * Split path: appends an event record to the mailbox and raises the event-channel interrupt;
   * returns the event's sequence number, or undefined when every slot is taken.
   */
  postEvent(record: Buffer): number | undefined {
    const { head, tail } = this.mailboxCounters();
    if (((head - tail) >>> 0) >= HV_MAILBOX_SLOTS) return undefined;
    this.vm.engine.writeMemory(this.interface.mailbox + MAILBOX_EVENTS_OFFSET + (head % HV_MAILBOX_SLOTS) * CALL_SIZE, record);
    const next = Buffer.alloc(4);
    next.writeUInt32LE((head + 1) >>> 0);
    this.vm.engine.writeMemory(this.interface.mailbox, next);
    this.vm.cpu.setIrq(HV_EVTCHN_IRQ, true);
    this.vm.cpu.setIrq(HV_EVTCHN_IRQ, false);
    return head;
  }
}
