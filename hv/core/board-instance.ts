/**
 * One guest's copy of a board: its memory mapped in the guest's own Unicorn engine, its device
 * models, and the dispatch tables that route trapped accesses to them. Memory sizes of the
 * regions marked `code` and `sram` can be reduced per guest; the rest of such a region is then a
 * hole (bus fault), and its mirrors are dropped.
 */
import { BitBand } from '../../devices/bitband.ts';
import { type IrqLine, type MmioDevice, OrGate, UNCONNECTED } from '../../devices/device.ts';
import type { BoardDescription, DeviceSpec, IrqWiring, MemoryRegionSpec } from '../../devices/platforms/board.ts';
import { type DeviceWiring, createDevice } from '../../devices/registry.ts';
import { protection } from '../unicorn/protection.ts';
import type { Engine } from '../unicorn/engine.ts';
import type { HostMemory } from '../unicorn/host-memory.ts';
import { DispatchTable } from '../trap/dispatch-table.ts';
import { GuestBusError } from '../trap/mmio.ts';
import type { MemoryRange } from './image.ts';

export interface MemorySizes {
  code?: number;
  sram?: number;
}

/** A memory region of a guest with the host memory behind it (shareable with other engines). */
export interface GuestRam extends MemoryRange {
  readonly host: HostMemory;
  readonly perms: number;
}

export interface BoardInstance {
  /** Primary memory regions with their sizes for this guest (where images may be placed). */
  readonly memory: readonly GuestRam[];
  readonly devices: readonly MmioDevice[];
  readonly foreground: DispatchTable;
  readonly background: DispatchTable;
  /** Trapped windows (base, size, table owner) to map with uc_mmio_map. */
  readonly windows: ReadonlyArray<{ base: number; size: number }>;
  /** Bit-band alias windows with their device. */
  readonly bitbands: ReadonlyArray<{ base: number; device: BitBand }>;
}

export interface BoardDeps extends Omit<DeviceWiring, 'irq'> {
  /** NVIC external interrupt line `n`. */
  irqLine(n: number): IrqLine;
  nmi(): void;
  /** Device access used by peripheral bit-band aliases (no trap accounting). */
  deviceAccess(address: number, size: number, write: boolean, value: number): number;
}

export function instantiateBoard(engine: Engine, board: BoardDescription, sizes: MemorySizes, deps: BoardDeps): BoardInstance {
  const memory = board.memory.map((region) => mapRegion(engine, region, sizes));
  const foreground = new DispatchTable();
  const background = new DispatchTable();
  const irqFor = irqWiring(board, deps);
  const wiring: DeviceWiring = { ...deps, irq: irqFor };
  const devices = board.devices.map((spec) => {
    const device = createDevice(spec, wiring);
    (spec.background ? background : foreground).add(spec.base, device);
    return device;
  });
  const bitbands = board.bitband.map((bb) => ({
    base: bb.alias,
    device: new BitBand(`bitband-${bb.alias.toString(16)}`, bitbandTarget(engine, bb.target, memory, deps)),
  }));
  return { memory, devices, foreground, background, windows: board.windows, bitbands };
}

function mapRegion(engine: Engine, region: MemoryRegionSpec, sizes: MemorySizes): GuestRam {
  const size = (region.role && sizes[region.role]) ?? region.size;
  const addresses = size === region.size ? [region.base, ...(region.aliases ?? [])] : [region.base];
  const perms = protection(region.perms);
  const host = engine.mapSharedMemory(addresses, size, perms);
  return { name: region.name, base: region.base, size, host, perms };
}

/** Where a device output is wired: an NVIC external interrupt number or the NMI. */
type IrqTarget = IrqWiring[string];

/**
 * Device outputs wired to the same interrupt are ORed, as QEMU's board does with TYPE_OR_IRQ: one
 * OrGate per target line, one gate input per device output. The NMI is an edge: a rising OR pends it.
 */
export function irqWiring(board: BoardDescription, deps: Pick<BoardDeps, 'irqLine' | 'nmi'>): (spec: DeviceSpec, output: string) => IrqLine {
  const inputs = new Map<string, number>();
  const fanIn = new Map<IrqTarget, number>();
  for (const spec of board.devices) {
    for (const [output, target] of Object.entries(spec.irq ?? {})) {
      const index = fanIn.get(target) ?? 0;
      inputs.set(`${spec.name}.${output}`, index);
      fanIn.set(target, index + 1);
    }
  }
  const gates = new Map([...fanIn].map(([target, count]) => [target, new OrGate(count, targetLine(target, deps))]));
  return (spec, output) => {
    const target = spec.irq?.[output];
    if (target === undefined) return UNCONNECTED;
    return gates.get(target)!.input(inputs.get(`${spec.name}.${output}`)!);
  };
}

function targetLine(target: IrqTarget, deps: Pick<BoardDeps, 'irqLine' | 'nmi'>): IrqLine {
  if (target !== 'nmi') return deps.irqLine(target);
  return (high) => {
    if (high) deps.nmi();
  };
}

function bitbandTarget(engine: Engine, base: number, memory: readonly MemoryRange[], deps: BoardDeps) {
  const isMemory = memory.some((m) => base >= m.base && base < m.base + m.size);
  if (isMemory) {
    return {
      base,
      read: (address: number, size: number) => readLittle(engine, address, size),
      write: (address: number, size: number, value: number) => writeLittle(engine, address, size, value),
    };
  }
  return {
    base,
    read: (address: number, size: number) => deps.deviceAccess(address, size, false, 0),
    write: (address: number, size: number, value: number) => void deps.deviceAccess(address, size, true, value),
  };
}

function readLittle(engine: Engine, address: number, size: number): number {
  const bytes = engine.tryReadMemory(address, size);
  if (!bytes) throw new GuestBusError(address, false, 'bit-band target is not mapped');
  return bytes.readUIntLE(0, size);
}

function writeLittle(engine: Engine, address: number, size: number, value: number): void {
  const bytes = Buffer.alloc(size);
  bytes.writeUIntLE(size === 4 ? value >>> 0 : value & ((1 << (8 * size)) - 1), 0, size);
  if (!engine.tryWriteMemory(address, bytes)) throw new GuestBusError(address, true, 'bit-band target is not mapped');
}
