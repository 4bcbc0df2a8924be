/**
 * hvlab's physical block controller: the disk that only the driver VM (and the driver code it
 * lends to callers) may program. It serves several disks (units), each backed by a disk image
 * through the storage interface, and has one register slot per context that issues commands
 * (slot 0: the driver VM; slot 1 + n: driver code running on core n), so that contexts never
 * share command registers. Commands are served one at a time in issue order; the service time
 * on the virtual clock is a command overhead, a transfer time per sector and a seek time when
 * the head moves (hv/storage/cache/disk-timing.ts), or, for a disk read through the hypervisor's
 * block cache, what the cache says the read cost (hits cost a copy). Data moves by DMA in the
 * issuing context's address space. The disk image is read or written when the command starts
 * (commands are served in issue order, so this is the order the device would apply them); a
 * read's data lands in memory when the command completes.
 *
 * Registers of a slot (slot n at n × 0x100):
 * | off  | name        | access | meaning                                                        |
 * |------|-------------|--------|----------------------------------------------------------------|
 * | 0x00 | ID          | RO     | 0x43425648 ("HVBC")                                            |
 * | 0x04 | UNITS       | RO     | number of disks                                                |
 * | 0x08 | UNIT        | RW     | disk of the next command                                       |
 * | 0x0C | CAPACITY_LO | RO     | sectors of UNIT (low word)                                     |
 * | 0x10 | CAPACITY_HI | RO     | (high word)                                                    |
 * | 0x14 | SECTOR_LO   | RW     | first sector                                                   |
 * | 0x18 | SECTOR_HI   | RW     |                                                                |
 * | 0x1C | COUNT       | RW     | sectors (1..128)                                               |
 * | 0x20 | DMA_ADDR    | RW     | buffer address in the issuing context                          |
 * | 0x24 | COMMAND     | WO     | 1 READ, 2 WRITE, 3 FLUSH: starts the command                   |
 * | 0x28 | STATUS      | RO     | bit 0 BUSY, 1 DONE, 2 ERROR; bits 15:8 error: 1 bad unit,       |
 * |      |             |        | 2 out of range, 3 DMA fault, 4 busy, 5 bad command or count    |
 * |      |             |        | (a command while BUSY is refused: BUSY stays set with error 4,  |
 * |      |             |        | and the command in flight completes normally)                  |
 * | 0x2C | INT_ENABLE  | RW     | bit 0: interrupt on completion                                 |
 * | 0x30 | INT_STATUS  | RW1C   | bit 0: a command completed                                     |
 */
import { type BlockImage, SECTOR_SIZE } from '../hv/storage/block-image.ts';
import type { DiskTiming } from '../hv/storage/cache/disk-timing.ts';
import type { ScheduledEvent } from '../hv/time/event-queue.ts';
import type { VirtualTime } from '../hv/time/virtual-time.ts';
import type { IrqLine, MmioDevice } from './device.ts';

export const BLKCTL_ID = 0x43425648;
export const BLKCTL_MAX_SECTORS = 128;
const STATUS_BUSY = 1 << 0;
const STATUS_DONE = 1 << 1;
const STATUS_ERROR = 1 << 2;
const ERR = { BAD_UNIT: 1, RANGE: 2, DMA: 3, BUSY: 4, BAD_COMMAND: 5 } as const;

/** Memory of the context that issued a command, as the controller's DMA engine sees it. */
export interface DmaPort {
  /** Reads guest memory; undefined when the range is not allowed or not mapped. */
  read(address: number, length: number): Uint8Array | undefined;
  /** Writes guest memory; false when the range is not allowed or not mapped. */
  write(address: number, data: Uint8Array): boolean;
}

/** What the hypervisor attaches to a slot: the issuing context's clock, memory and interrupt. */
export interface SlotBinding {
  readonly time: VirtualTime;
  readonly dma: DmaPort;
  readonly irq?: IrqLine;
  /** Called when a command of this slot completes, with its STATUS value and what it did. */
  readonly completed?: (status: number, command: CompletedCommand) => void;
}

interface Command {
  readonly op: number;
  readonly unit: number;
  readonly sector: number;
  readonly count: number;
  readonly dma: number;
  /** For a read, the data read from the disk at the start. */
  readonly data?: Uint8Array;
  readonly start: number;
  readonly completeAt: number;
}

/** Cycles the last read of `unit` cost, when something better than the device model knows it. */
export type ReadCost = (unit: number) => number | undefined;

class Slot {
  unit = 0;
  sector = 0;
  count = 0;
  dma = 0;
  status = 0;
  intEnable = 0;
  intStatus = 0;
  command: Command | undefined;
  event: ScheduledEvent | undefined;
  binding: SlotBinding | undefined;
}

/** One completed command, for traces and statistics. */
export interface CompletedCommand {
  readonly slot: number;
  readonly op: 'read' | 'write' | 'flush';
  readonly unit: number;
  readonly sector: number;
  readonly count: number;
  /** False when the DMA transfer failed. */
  readonly ok: boolean;
  readonly start: number;
  readonly end: number;
}

export class BlockController implements MmioDevice {
  readonly model = 'hvlab-block-controller';
  readonly size: number;
  /** Physical device: the driver contexts that map it reach it without a trap. */
  readonly passthrough = true;
  private readonly slots: Slot[];
  private freeAt = 0;
  private head = 0;
  /** Told of every completed command (traces, statistics, the split path's accounting). */
  readonly completions = new Set<(c: CompletedCommand) => void>();
  /** When set (the block cache), the cost of reads. */
  readCost: ReadCost | undefined;
  /** Virtual time of the command being started (what a cache below sees as "now"). */
  commandTime = 0;

  private readonly units: BlockImage[];

  constructor(
    readonly name: string,
    units: readonly BlockImage[],
    private readonly timing: DiskTiming,
    slotCount: number,
  ) {
    this.units = [...units];
    this.slots = Array.from({ length: slotCount }, () => new Slot());
    this.size = slotCount * 0x100;
  }

  /** Attaches one more disk (a guest added to a running system); returns its unit number. */
  addUnit(image: BlockImage): number {
    this.units.push(image);
    return this.units.length - 1;
  }

  bind(slot: number, binding: SlotBinding): void {
    this.slots[slot]!.binding = binding;
  }

  reset(): void {
    for (const s of this.slots) {
      s.binding?.time.cancel(s.event);
      Object.assign(s, { unit: 0, sector: 0, count: 0, dma: 0, status: 0, intEnable: 0, intStatus: 0, command: undefined, event: undefined });
      s.binding?.irq?.(false);
    }
    this.freeAt = 0;
  }

  /** When the command in flight on `slot` completes (undefined: none). */
  completionTime(slot: number): number | undefined {
    return this.slots[slot]?.command?.completeAt;
  }

  /** Completes the command on `slot` if its time has come. */
  poll(slot: number): void {
    const s = this.slots[slot]!;
    if (s.command && s.binding && s.binding.time.now() >= s.command.completeAt) this.complete(slot, s);
  }

  read(offset: number, size: number): number {
    void size;
    const index = offset >> 8;
    const s = this.slots[index];
    if (!s) return 0;
    switch (offset & 0xff) {
      case 0x00: return BLKCTL_ID;
      case 0x04: return this.units.length;
      case 0x08: return s.unit;
      case 0x0c: return this.capacity(s.unit) % 2 ** 32;
      case 0x10: return Math.floor(this.capacity(s.unit) / 2 ** 32);
      case 0x14: return s.sector % 2 ** 32;
      case 0x18: return Math.floor(s.sector / 2 ** 32);
      case 0x1c: return s.count;
      case 0x20: return s.dma;
      case 0x28:
        this.poll(index);
        return s.status;
      case 0x2c: return s.intEnable;
      case 0x30: return s.intStatus;
      default: return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    void size;
    const index = offset >> 8;
    const s = this.slots[index];
    if (!s) return;
    switch (offset & 0xff) {
      case 0x08: s.unit = value; return;
      case 0x14: s.sector = Math.floor(s.sector / 2 ** 32) * 2 ** 32 + (value >>> 0); return;
      case 0x18: s.sector = (value >>> 0) * 2 ** 32 + (s.sector % 2 ** 32); return;
      case 0x1c: s.count = value; return;
      case 0x20: s.dma = value >>> 0; return;
      case 0x24: return this.start(index, s, value);
      case 0x2c: s.intEnable = value & 1; return this.updateIrq(s);
      case 0x30:
        s.intStatus &= ~(value & 1);
        return this.updateIrq(s);
      default: return;
    }
  }

  private capacity(unit: number): number {
    const image = this.units[unit];
    return image ? image.size / SECTOR_SIZE : 0;
  }

  private fail(s: Slot, code: number): void {
    s.status = STATUS_ERROR | STATUS_DONE | (code << 8);
  }

  private start(index: number, s: Slot, op: number): void {
    // A command while busy is refused; the one in flight is untouched and STATUS stays BUSY.
    if (s.status & STATUS_BUSY) {
      s.status = STATUS_BUSY | STATUS_ERROR | (ERR.BUSY << 8);
      return;
    }
    if (!s.binding) return this.fail(s, ERR.DMA);
    const problem = this.validate(s, op);
    if (problem) return this.fail(s, problem);
    const now = s.binding.time.now();
    this.commandTime = Math.max(now, this.freeAt);
    const data = this.perform(s, op);
    if (data === false) return this.fail(s, ERR.DMA);
    const start = Math.max(now, this.freeAt);
    const completeAt = start + this.serviceCycles(op, s);
    this.freeAt = completeAt;
    if (op !== 3) this.head = s.sector + s.count;
    s.command = { op, unit: s.unit, sector: s.sector, count: s.count, dma: s.dma, data, start, completeAt };
    s.status = STATUS_BUSY;
    s.event = s.binding.time.schedule(completeAt, `${this.name} slot ${index}`, () => this.complete(index, s));
  }

  private validate(s: Slot, op: number): number | undefined {
    if (op < 1 || op > 3) return ERR.BAD_COMMAND;
    if (s.unit >= this.units.length) return ERR.BAD_UNIT;
    if (op === 3) return undefined;
    if (s.count < 1 || s.count > BLKCTL_MAX_SECTORS) return ERR.BAD_COMMAND;
    if (s.sector + s.count > this.capacity(s.unit)) return ERR.RANGE;
    return undefined;
  }

  /** Reads, writes or flushes the disk; false when the DMA source is not readable. */
  private perform(s: Slot, op: number): Uint8Array | undefined | false {
    const image = this.units[s.unit]!;
    if (op === 3) {
      image.flush();
      return undefined;
    }
    if (op === 1) return image.readSectors(s.sector, s.count);
    const data = s.binding!.dma.read(s.dma, s.count * SECTOR_SIZE);
    if (!data) return false;
    image.writeSectors(s.sector, Uint8Array.from(data));
    return undefined;
  }

  private serviceCycles(op: number, s: Slot): number {
    const t = this.timing;
    const cached = op === 1 ? this.readCost?.(s.unit) : undefined;
    if (cached !== undefined) return cached;
    if (op === 3) return t.commandCycles;
    const seek = s.sector === this.head ? 0 : t.seekCycles;
    return t.commandCycles + seek + s.count * t.perSectorCycles;
  }

  private complete(index: number, s: Slot): void {
    const c = s.command;
    if (!c) return;
    s.binding!.time.cancel(s.event);
    s.event = undefined;
    s.command = undefined;
    const ok = c.op !== 1 || s.binding!.dma.write(c.dma, c.data!);
    s.status = ok ? STATUS_DONE : STATUS_DONE | STATUS_ERROR | (ERR.DMA << 8);
    s.intStatus |= 1;
    this.updateIrq(s);
    const op = c.op === 1 ? 'read' : c.op === 2 ? 'write' : 'flush';
    const record: CompletedCommand = { slot: index, op, unit: c.unit, sector: c.sector, count: c.count, ok, start: c.start, end: c.completeAt };
    for (const listener of this.completions) listener(record);
    s.binding!.completed?.(s.status, record);
  }

  private updateIrq(s: Slot): void {
    s.binding?.irq?.((s.intStatus & s.intEnable) !== 0);
  }
}
