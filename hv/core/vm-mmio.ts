/**
 * The trap path of one VM: every access to a device window arrives here from Unicorn's MMIO
 * callback, is dispatched to the device model (devices first, background regions second, else a
 * bus error), charged as a trap round trip, counted and traced. Device bus errors become precise
 * BusFaults of the vCPU.
 */
import type { BoardInstance } from './board-instance.ts';
import type { Mapping } from '../trap/dispatch-table.ts';
import { GuestBusError, type MmioDevice } from '../trap/mmio.ts';
import { mmioTrapCycles } from '../time/cost-model.ts';
import type { Histogram } from '../trace/histogram.ts';
import type { Vm } from './vm.ts';

export class VmMmio {
  private board: BoardInstance | undefined;
  private trapCycles = 0;
  private trapHistogram: Histogram | undefined;

  constructor(private readonly vm: Vm) {}

  /** Maps every window of the board, its bit-band aliases and the PPB as MMIO in the engine. */
  map(board: BoardInstance, ppbBase: number, ppbSize: number): void {
    this.board = board;
    this.trapCycles = mmioTrapCycles(this.vm.costs);
    this.trapHistogram = this.vm.recorder.histogram('trap.mmio');
    const e = this.vm.engine;
    for (const w of board.windows) {
      e.mapMmio(w.base, w.size, (off, size) => this.access(w.base + off, size, false, 0), (off, size, v) => void this.access(w.base + off, size, true, v));
    }
    for (const bb of board.bitbands) this.mapDevice(bb.base, bb.device);
    this.mapDevice(ppbBase, this.vm.cpu.systemSpace);
  }

  /** Adds a device to the VM's map (hvlab's virtio devices, physical devices of the driver VM). */
  addDevice(base: number, device: MmioDevice): void {
    this.board!.foreground.add(base, device);
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

  unimplemented(device: string, offset: number, size: number, write: boolean): void {
    this.vm.stats.countUnimplemented(device, offset, write);
  }

  private mapDevice(base: number, device: MmioDevice): void {
    this.vm.engine.mapMmio(
      base,
      device.size,
      (off, size) => this.call(device, base, off, size, false, 0),
      (off, size, v) => void this.call(device, base, off, size, true, v),
    );
  }

  private access(address: number, size: number, write: boolean, value: number): number {
    let m: Mapping;
    try {
      m = this.resolve(address, write);
    } catch (error) {
      return this.busError(error);
    }
    return this.call(m.device, m.base, address - m.base, size, write, value);
  }

  private call(device: MmioDevice, base: number, offset: number, size: number, write: boolean, value: number): number {
    let result = 0;
    try {
      if (write) device.write(offset, size, value);
      else result = device.read(offset, size) >>> 0;
    } catch (error) {
      return this.busError(error);
    }
    this.recordTrap(device, base + offset, offset, size, write, write ? value : result);
    return result;
  }

  private resolve(address: number, write: boolean): Mapping {
    const board = this.board!;
    const m = board.foreground.find(address) ?? board.background.find(address);
    if (!m) throw new GuestBusError(address, write, 'no device at this address');
    return m;
  }

  private busError(error: unknown): number {
    if (!(error instanceof GuestBusError)) throw error;
    this.vm.cpu.abortAccess(error.address, error.write, error.message);
    return 0;
  }

  private recordTrap(device: MmioDevice, address: number, offset: number, size: number, write: boolean, value: number): void {
    if (device.passthrough) return;
    const vm = this.vm;
    const ts = vm.clock.now();
    vm.clock.charge(this.trapCycles);
    vm.stats.countTrap('mmio');
    this.trapHistogram!.add(this.trapCycles);
    if (!vm.recorder.keepsEvents) return;
    const detail = `${device.name}+0x${offset.toString(16)} ${write ? 'write' : 'read'}${size * 8} 0x${(value >>> 0).toString(16)}`;
    vm.recorder.record({ kind: 'trap', ts, dur: this.trapCycles, core: vm.coreIndex, guest: vm.name, pc: vm.cpu.pc(), trap: 'mmio', detail });
    void address;
  }
}
