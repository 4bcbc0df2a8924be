/**
 * Per-VM table of device windows, sorted by base address and searched by binary search (Bao's
 * `vm_emul_get_mem`). An address no device covers is a hole in the memory map, which the caller
 * turns into a bus error.
 */
import { ConfigError } from '../errors.ts';
import { hex } from '../format.ts';
import type { MmioDevice } from './mmio.ts';

export interface Mapping {
  readonly base: number;
  readonly device: MmioDevice;
}

export class DispatchTable {
  private readonly mappings: Mapping[] = [];

  add(base: number, device: MmioDevice): void {
    const end = base + device.size;
    for (const m of this.mappings) {
      if (base < m.base + m.device.size && m.base < end) {
        throw new ConfigError(`device ${device.name} at ${hex(base)} overlaps ${m.device.name}`);
      }
    }
    this.mappings.push({ base, device });
    this.mappings.sort((a, b) => a.base - b.base);
  }

  /** The mapping containing `address`, or undefined. */
  find(address: number): Mapping | undefined {
    const list = this.mappings;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = list[mid]!;
      if (address < m.base) hi = mid - 1;
      else if (address >= m.base + m.device.size) lo = mid + 1;
      else return m;
    }
    return undefined;
  }
}
