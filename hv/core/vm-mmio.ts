/**
 * The trap path of one VM: every access to a device window arrives here from Unicorn's MMIO
 * callback, is dispatched to the device model (devices first, background regions second, else a
 * bus error), charged as a trap round trip, counted and traced. Device bus errors become precise
 * bus faults of the vCPU. While a device handles an access, the trap in progress (its start and
 * cost) is known, so that an I/O path can date a notification by the trap that carried it.
 */
import type { GuestCpu } from '../arch/cpu.ts';
import type { Mapping } from '../trap/dispatch-table.ts';
import { GuestBusError, type MmioDevice } from '../trap/mmio.ts';
import type { Engine } from '../unicorn/engine.ts';
import type { BoardInstance } from './board-instance.ts';
import type { MmioTrapSite, TrapSpan, VmAccounting } from './vm-accounting.ts';
import type { VmClock } from './vm-clock.ts';

export class VmMmio implements MmioTrapSite {
  /** The trap in progress: when it started (NaN: none). A number, not an object per trap. */
  private trapStart = Number.NaN;
  /** The access being charged (what trapDetail describes): fields, not a closure per trap. */
  private lastDevice: MmioDevice | undefined;
  private lastOffset = 0;
  private lastSize = 0;
  private lastWrite = false;
  private lastValue = 0;

  constructor(
    private readonly engine: Engine,
    private readonly board: BoardInstance,
    private readonly cpu: GuestCpu,
    private readonly clock: VmClock,
    private readonly accounting: VmAccounting,
  ) {}

  /** Maps every window of the board, its bit-band aliases and the CPU's system space as MMIO. */
  map(): void {
    for (const w of this.board.windows) {
      this.engine.mapMmio(w.base, w.size, (off, size) => this.access(w.base + off, size, false, 0), (off, size, v) => void this.access(w.base + off, size, true, v));
    }
    for (const bb of this.board.bitbands) this.mapDevice(bb.base, bb.device);
    this.mapDevice(this.cpu.systemSpace.base, this.cpu.systemSpace.device);
  }

  /** Adds a device to the VM's map (hvlab's virtio devices, physical devices of the driver VM). */
  addDevice(base: number, device: MmioDevice): void {
    this.board.foreground.add(base, device);
  }

  /** The trap of the MMIO access being served (undefined outside a device access). */
  get trapInProgress(): TrapSpan | undefined {
    return Number.isNaN(this.trapStart) ? undefined : { start: this.trapStart, cycles: this.accounting.mmioTrapCycles };
  }

  /** Reads or writes a device register without trap accounting (bit-band aliases use it). */
  deviceAccess(address: number, size: number, write: boolean, value: number): number {
    const m = this.resolve(address, write);
    const offset = address - m.base;
    if (write) {
      m.device.write(offset, size, value);
      return 0;
    }
    return m.device.read(offset, size);
  }

  private mapDevice(base: number, device: MmioDevice): void {
    this.engine.mapMmio(
      base,
      device.size,
      (off, size) => this.call(device, off, size, false, 0),
      (off, size, v) => void this.call(device, off, size, true, v),
    );
  }

  private access(address: number, size: number, write: boolean, value: number): number {
    let m: Mapping;
    try {
      m = this.resolve(address, write);
    } catch (error) {
      return this.busError(error);
    }
    return this.call(m.device, address - m.base, size, write, value);
  }

  private call(device: MmioDevice, offset: number, size: number, write: boolean, value: number): number {
    let result = 0;
    this.trapStart = device.passthrough ? Number.NaN : this.clock.now();
    try {
      if (write) device.write(offset, size, value);
      else result = device.read(offset, size) >>> 0;
    } catch (error) {
      return this.busError(error);
    } finally {
      this.trapStart = Number.NaN;
    }
    if (!device.passthrough) this.recordTrap(device, offset, size, write, write ? value : result);
    return result;
  }

  private resolve(address: number, write: boolean): Mapping {
    const m = this.board.foreground.find(address) ?? this.board.background.find(address);
    if (!m) throw new GuestBusError(address, write, 'no device at this address');
    return m;
  }

  private busError(error: unknown): number {
    if (!(error instanceof GuestBusError)) throw error;
    this.cpu.abortAccess(error.address, error.write, error.message);
    return 0;
  }

  private recordTrap(device: MmioDevice, offset: number, size: number, write: boolean, value: number): void {
    this.lastDevice = device;
    this.lastOffset = offset;
    this.lastSize = size;
    this.lastWrite = write;
    this.lastValue = value;
    this.accounting.mmioTrap(this);
  }

  trapPc(): number {
    return this.cpu.pc();
  }

  trapDetail(): string {
    const value = this.lastValue >>> 0;
    return `${this.lastDevice?.name}+0x${this.lastOffset.toString(16)} ${this.lastWrite ? 'write' : 'read'}${this.lastSize * 8} 0x${value.toString(16)}`;
  }
}

