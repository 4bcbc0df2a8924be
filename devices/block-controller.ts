/**
 * hvlab's physical block controller: the disk that only the driver VM (and the driver code it
 * lends to callers) may program. It serves several disks (units), each backed by a disk image
 * through the storage interface, and has one register slot per context that issues commands
 * (slot 0: the driver VM; slot 1 + n: driver code running on core n), so that contexts never
 * share command registers. Commands are served one at a time in issue order; the service time
 * on the virtual clock is a command overhead, a transfer time per sector and a seek time when
 * the head moves (the presets are in hv/storage/cache/disk-timing.ts), or, for a disk read through the hypervisor's
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
import { InternalError } from '../hv/errors.ts';
import type { ScheduledEvent } from '../hv/time/event-queue.ts';
import type { VirtualTime } from '../hv/time/virtual-time.ts';
import type { IrqLine, MmioDevice } from './device.ts';

/** Register offsets within a slot (firmware/lib/hvlab-io.h has the same as BLKCTL_<name>). */
export const BLKCTL_REG = {
  ID: 0x00,
  UNITS: 0x04,
  UNIT: 0x08,
  CAPACITY_LO: 0x0c,
  CAPACITY_HI: 0x10,
  SECTOR_LO: 0x14,
  SECTOR_HI: 0x18,
  COUNT: 0x1c,
  DMA_ADDR: 0x20,
  COMMAND: 0x24,
  STATUS: 0x28,
  INT_ENABLE: 0x2c,
  INT_STATUS: 0x30,
} as const;
/** Slot n's registers are at n × BLKCTL_SLOT_STRIDE. */
export const BLKCTL_SLOT_STRIDE = 0x100;
export const BLKCTL_ID_VALUE = 0x43425648;
/** COMMAND values. */
export const BLKCTL_CMD = { READ: 1, WRITE: 2, FLUSH: 3 } as const;
/** STATUS bits; bits 15:8 hold a BLKCTL_ERROR code. */
export const BLKCTL_STATUS = { BUSY: 1 << 0, DONE: 1 << 1, ERROR: 1 << 2 } as const;
export const BLKCTL_ERROR = { BAD_UNIT: 1, RANGE: 2, DMA: 3, BUSY: 4, BAD_COMMAND: 5 } as const;
const MAX_SECTORS = 128;
const REG = BLKCTL_REG;
const { READ, WRITE, FLUSH } = BLKCTL_CMD;
const { BUSY: STATUS_BUSY, DONE: STATUS_DONE, ERROR: STATUS_ERROR } = BLKCTL_STATUS;
const ERR = BLKCTL_ERROR;

/** Bytes per sector of the controller's disks. */
const SECTOR_SIZE = 512;

/** A disk behind a unit: what the controller needs of a disk image (hv/storage's images are ones). */
export interface DiskUnit {
  /** Size in bytes (a multiple of 512). */
  readonly size: number;
  readSectors(sector: number, count: number): Uint8Array;
  writeSectors(sector: number, data: Uint8Array): void;
  /** Makes every completed write durable. */
  flush(): void;
}

/** The device's service time per command (presets: hv/storage/cache/disk-timing.ts). */
export interface ServiceTiming {
  readonly commandCycles: number;
  readonly perSectorCycles: number;
  /** Extra per command that does not continue where the previous one ended. */
  readonly seekCycles: number;
}

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

/**
 * The registers that only hold a value until a command takes it (UNIT, SECTOR_LO, SECTOR_HI,
 * COUNT, DMA_ADDR), one bit per register word of a slot: a 32-bit write stores the value and
 * nothing else, so a driver engine may store it without calling the device (Engine.mapMmio's
 * latch), straight into the register words the controller keeps.
 */
export const BLKCTL_LATCHED = [REG.UNIT, REG.SECTOR_LO, REG.SECTOR_HI, REG.COUNT, REG.DMA_ADDR].reduce((mask, reg) => mask | (1 << (reg / 4)), 0);

/** Words per slot in the register store. */
const SLOT_WORDS = BLKCTL_SLOT_STRIDE / 4;

class Slot {
  status = 0;
  intEnable = 0;
  intStatus = 0;
  command: Command | undefined;
  event: ScheduledEvent | undefined;
  binding: SlotBinding | undefined;

  /** `words`: the slot's register words (the latched registers live there). */
  constructor(private readonly words: Uint32Array<ArrayBufferLike>) {}

  /** A 32-bit write of a latched register (see BLKCTL_LATCHED). */
  store(reg: number, value: number): void {
    this.words[reg / 4] = value;
  }

  get unit(): number {
    return this.words[REG.UNIT / 4]!;
  }

  set unit(value: number) {
    this.words[REG.UNIT / 4] = value;
  }

  get sector(): number {
    return this.words[REG.SECTOR_HI / 4]! * 2 ** 32 + this.words[REG.SECTOR_LO / 4]!;
  }

  set sector(value: number) {
    this.words[REG.SECTOR_LO / 4] = value % 2 ** 32;
    this.words[REG.SECTOR_HI / 4] = Math.floor(value / 2 ** 32);
  }

  get count(): number {
    return this.words[REG.COUNT / 4]!;
  }

  set count(value: number) {
    this.words[REG.COUNT / 4] = value;
  }

  get dma(): number {
    return this.words[REG.DMA_ADDR / 4]!;
  }

  set dma(value: number) {
    this.words[REG.DMA_ADDR / 4] = value;
  }
}

/** A slot's registers and command in flight (its data included), as a checkpoint keeps them. */
interface SlotState {
  readonly unit: number;
  readonly sector: number;
  readonly count: number;
  readonly dma: number;
  readonly status: number;
  readonly intEnable: number;
  readonly intStatus: number;
  readonly command: Command | undefined;
}

interface BlockControllerState {
  readonly slots: readonly SlotState[];
  readonly freeAt: number;
  readonly head: number;
  readonly commandTime: number;
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

  private readonly units: DiskUnit[];

  constructor(
    readonly name: string,
    units: readonly DiskUnit[],
    private readonly timing: ServiceTiming,
    slotCount: number,
    /** Where the slots' register words live (slotCount × 0x40 words; native memory for latching). */
    registers: Uint32Array<ArrayBufferLike> = new Uint32Array(slotCount * SLOT_WORDS),
  ) {
    if (registers.length < slotCount * SLOT_WORDS) throw new InternalError(`${name}: a register store of ${registers.length} words for ${slotCount} slots`);
    this.units = [...units];
    this.slots = Array.from({ length: slotCount }, (_, i) => new Slot(registers.subarray(i * SLOT_WORDS, (i + 1) * SLOT_WORDS)));
    this.size = slotCount * BLKCTL_SLOT_STRIDE;
  }

  /** Attaches one more disk (a guest added to a running system); returns its unit number. */
  addUnit(image: DiskUnit): number {
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

  saveState(): BlockControllerState {
    const slots = this.slots.map(({ unit, sector, count, dma, status, intEnable, intStatus, command }) => ({ unit, sector, count, dma, status, intEnable, intStatus, command }));
    return { slots, freeAt: this.freeAt, head: this.head, commandTime: this.commandTime };
  }

  /** Commands in flight complete at their saved times, on the clocks their slots are bound to. */
  restoreState(state: unknown): void {
    const saved = state as BlockControllerState;
    ({ freeAt: this.freeAt, head: this.head, commandTime: this.commandTime } = saved);
    saved.slots.forEach((slotState, index) => {
      const s = this.slots[index]!;
      Object.assign(s, slotState, { event: undefined });
      const c = s.command;
      if (c && !s.binding) throw new InternalError(`${this.name}: slot ${index} has a command in flight but no binding to complete it on`);
      if (c) s.event = s.binding!.time.schedule(c.completeAt, `${this.name} slot ${index}`, () => this.complete(index, s));
      this.updateIrq(s);
    });
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
    const index = Math.floor(offset / BLKCTL_SLOT_STRIDE);
    const s = this.slots[index];
    if (!s) return 0;
    switch (offset % BLKCTL_SLOT_STRIDE) {
      case REG.ID: return BLKCTL_ID_VALUE;
      case REG.UNITS: return this.units.length;
      case REG.UNIT: return s.unit;
      case REG.CAPACITY_LO: return this.capacity(s.unit) % 2 ** 32;
      case REG.CAPACITY_HI: return Math.floor(this.capacity(s.unit) / 2 ** 32);
      case REG.SECTOR_LO: return s.sector % 2 ** 32;
      case REG.SECTOR_HI: return Math.floor(s.sector / 2 ** 32);
      case REG.COUNT: return s.count;
      case REG.DMA_ADDR: return s.dma;
      case REG.STATUS:
        this.poll(index);
        return s.status;
      case REG.INT_ENABLE: return s.intEnable;
      case REG.INT_STATUS: return s.intStatus;
      default: return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    void size;
    const index = Math.floor(offset / BLKCTL_SLOT_STRIDE);
    const s = this.slots[index];
    if (!s) return;
    switch (offset % BLKCTL_SLOT_STRIDE) {
      case REG.UNIT:
      case REG.SECTOR_LO:
      case REG.SECTOR_HI:
      case REG.COUNT:
      case REG.DMA_ADDR: return s.store(offset % BLKCTL_SLOT_STRIDE, value); // as a latching engine does (BLKCTL_LATCHED)
      case REG.COMMAND: return this.start(index, s, value);
      case REG.INT_ENABLE: s.intEnable = value & 1; return this.updateIrq(s);
      case REG.INT_STATUS:
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
    if (op !== FLUSH) this.head = s.sector + s.count;
    s.command = { op, unit: s.unit, sector: s.sector, count: s.count, dma: s.dma, data, start, completeAt };
    s.status = STATUS_BUSY;
    s.event = s.binding.time.schedule(completeAt, `${this.name} slot ${index}`, () => this.complete(index, s));
  }

  private validate(s: Slot, op: number): number | undefined {
    if (op !== READ && op !== WRITE && op !== FLUSH) return ERR.BAD_COMMAND;
    if (s.unit >= this.units.length) return ERR.BAD_UNIT;
    if (op === FLUSH) return undefined;
    if (s.count < 1 || s.count > MAX_SECTORS) return ERR.BAD_COMMAND;
    if (s.sector + s.count > this.capacity(s.unit)) return ERR.RANGE;
    return undefined;
  }

  /** Reads, writes or flushes the disk; false when the DMA source is not readable. */
  private perform(s: Slot, op: number): Uint8Array | undefined | false {
    const image = this.units[s.unit]!;
    if (op === FLUSH) {
      image.flush();
      return undefined;
    }
    if (op === READ) return image.readSectors(s.sector, s.count);
    const data = s.binding!.dma.read(s.dma, s.count * SECTOR_SIZE);
    if (!data) return false;
    image.writeSectors(s.sector, Uint8Array.from(data));
    return undefined;
  }

  private serviceCycles(op: number, s: Slot): number {
    const t = this.timing;
    const cached = op === READ ? this.readCost?.(s.unit) : undefined;
    if (cached !== undefined) return cached;
    if (op === FLUSH) return t.commandCycles;
    const seek = s.sector === this.head ? 0 : t.seekCycles;
    return t.commandCycles + seek + s.count * t.perSectorCycles;
  }

  private complete(index: number, s: Slot): void {
    const c = s.command;
    if (!c) return;
    s.binding!.time.cancel(s.event);
    s.event = undefined;
    s.command = undefined;
    const ok = c.op !== READ || s.binding!.dma.write(c.dma, c.data!);
    s.status = ok ? STATUS_DONE : STATUS_DONE | STATUS_ERROR | (ERR.DMA << 8);
    s.intStatus |= 1;
    this.updateIrq(s);
    const op = c.op === READ ? 'read' : c.op === WRITE ? 'write' : 'flush';
    const record: CompletedCommand = { slot: index, op, unit: c.unit, sector: c.sector, count: c.count, ok, start: c.start, end: c.completeAt };
    for (const listener of this.completions) listener(record);
    s.binding!.completed?.(s.status, record);
  }

  private updateIrq(s: Slot): void {
    s.binding?.irq?.((s.intStatus & s.intEnable) !== 0);
  }
}
