/**
 * The physical block controller (devices/block-controller.ts) on a fake clock with in-memory
 * disks and DMA memory: registers, service times, FIFO service across slots, when data moves,
 * errors, interrupts per slot, and poll().
 */
import { describe, expect, it } from 'vitest';
import { BLKCTL_CMD, BLKCTL_ERROR as E, BLKCTL_ID_VALUE, BLKCTL_LATCHED, BLKCTL_REG as REG, BLKCTL_SLOT_STRIDE as SLOT, BLKCTL_STATUS, BlockController, type DmaPort } from '../../devices/block-controller.ts';
import type { BlockImage, BlockLocation } from '../../hv/storage/block-image.ts';
import type { DiskTiming } from '../../hv/storage/cache/disk-timing.ts';
import type { ScheduledEvent } from '../../hv/time/event-queue.ts';
import type { VirtualTime } from '../../hv/time/virtual-time.ts';
import { FakeTime, IrqProbe } from '../helpers/fake-time.ts';

const { READ, WRITE, FLUSH } = BLKCTL_CMD;
const { BUSY, DONE, ERROR } = BLKCTL_STATUS;
const err = (code: number) => DONE | ERROR | (code << 8);
const TIMING: DiskTiming = { name: 'test', commandCycles: 100, perSectorCycles: 10, seekCycles: 1000, hitLookupCycles: 0, copyCyclesPer32Bytes: 0, sources: {} };
const MEM_BASE = 0x20000000;

class MemDisk implements BlockImage {
  readonly format = 'raw' as const;
  readonly backing = null;
  readonly readOnly = false;
  readonly bytes: Buffer;
  flushes = 0;
  writes = 0;
  constructor(readonly file: string, sectors: number) {
    this.bytes = Buffer.alloc(sectors * 512);
    for (let s = 0; s < sectors; s++) this.bytes.fill(s & 0xff, s * 512, s * 512 + 512);
  }
  get size(): number {
    return this.bytes.length;
  }
  readSectors(sector: number, count: number): Uint8Array {
    return Uint8Array.from(this.bytes.subarray(sector * 512, (sector + count) * 512));
  }
  writeSectors(sector: number, data: Uint8Array): void {
    this.writes++;
    this.bytes.set(data, sector * 512);
  }
  flush(): void {
    this.flushes++;
  }
  locate(offset: number): BlockLocation {
    return { image: this, offset, zero: false };
  }
  close(): void {}
}

/** DMA memory: 64 KiB at MEM_BASE. */
class Mem implements DmaPort {
  readonly bytes = Buffer.alloc(0x10000, 0xee);
  read(address: number, length: number): Uint8Array | undefined {
    const o = address - MEM_BASE;
    return o < 0 || o + length > this.bytes.length ? undefined : Uint8Array.from(this.bytes.subarray(o, o + length));
  }
  write(address: number, data: Uint8Array): boolean {
    const o = address - MEM_BASE;
    if (o < 0 || o + data.length > this.bytes.length) return false;
    this.bytes.set(data, o);
    return true;
  }
  at(address: number, length = 512): Buffer {
    return this.bytes.subarray(address - MEM_BASE, address - MEM_BASE + length);
  }
}

function rig(slots = 3) {
  const time = new FakeTime();
  const disks = [new MemDisk('d0', 64), new MemDisk('d1', 16)];
  const c = new BlockController('blkctl', disks, TIMING, slots);
  const mem = new Mem();
  const irqs = Array.from({ length: slots }, () => new IrqProbe());
  const done: Array<{ slot: number; status: number; at: number; op: string; sector: number; count: number; ok: boolean }> = [];
  for (let s = 0; s < slots; s++) {
    c.bind(s, { time, dma: mem, irq: irqs[s]!.line, completed: (status, cmd) => done.push({ slot: s, status, at: time.now(), op: cmd.op, sector: cmd.sector, count: cmd.count, ok: cmd.ok }) });
  }
  const w = (slot: number, reg: number, value: number) => c.write(slot * SLOT + reg, 4, value);
  const r = (slot: number, reg: number) => c.read(slot * SLOT + reg, 4);
  const issue = (slot: number, op: number, sector: number, count: number, dma = MEM_BASE, unit = 0) => {
    w(slot, REG.UNIT, unit);
    w(slot, REG.SECTOR_LO, sector);
    w(slot, REG.SECTOR_HI, 0);
    w(slot, REG.COUNT, count);
    w(slot, REG.DMA_ADDR, dma);
    w(slot, REG.COMMAND, op);
  };
  return { time, disks, c, mem, irqs, done, w, r, issue };
}

describe('registers', () => {
  it('keeps the latched registers (BLKCTL_LATCHED) in the given store, where a latching engine writes them', () => {
    const time = new FakeTime();
    const words = new Uint32Array(2 * (SLOT / 4));
    const c = new BlockController('blkctl', [new MemDisk('d0', 64)], TIMING, 2, words);
    const mem = new Mem();
    c.bind(1, { time, dma: mem });
    const base = SLOT / 4; // slot 1
    for (const [reg, value] of [[REG.UNIT, 0], [REG.SECTOR_LO, 5], [REG.SECTOR_HI, 0], [REG.COUNT, 2], [REG.DMA_ADDR, MEM_BASE + 0x200]] as const) {
      expect((BLKCTL_LATCHED >> (reg / 4)) & 1).toBe(1);
      words[base + reg / 4] = value;
    }
    expect((BLKCTL_LATCHED >> (REG.COMMAND / 4)) & 1).toBe(0);
    expect(c.read(SLOT + REG.SECTOR_LO, 4)).toBe(5);
    c.write(SLOT + REG.COUNT, 4, 1);
    expect(words[base + REG.COUNT / 4]).toBe(1);
    c.write(SLOT + REG.COMMAND, 4, READ);
    time.advanceTo(c.completionTime(1)!);
    c.poll(1);
    expect(c.read(SLOT + REG.STATUS, 4)).toBe(DONE);
    expect([...mem.at(MEM_BASE + 0x200, 4)]).toEqual([5, 5, 5, 5]);
    expect(mem.at(MEM_BASE + 0x400, 1)[0]).toBe(0xee);
  });

  it('ID, UNITS and the capacity of the selected unit, in every slot', () => {
    const { c, w, r } = rig();
    expect(c.size).toBe(0x300);
    for (const slot of [0, 2]) {
      expect(r(slot, REG.ID)).toBe(BLKCTL_ID_VALUE);
      expect(r(slot, REG.UNITS)).toBe(2);
      expect(r(slot, REG.CAPACITY_LO)).toBe(64);
      expect(r(slot, REG.CAPACITY_HI)).toBe(0);
    }
    w(1, REG.UNIT, 1);
    expect(r(1, REG.CAPACITY_LO)).toBe(16);
    expect(r(0, REG.CAPACITY_LO)).toBe(64);
    w(1, REG.UNIT, 9);
    expect(r(1, REG.CAPACITY_LO)).toBe(0);
  });

  it('UNIT, SECTOR, COUNT, DMA_ADDR and INT_ENABLE read back per slot; COMMAND reads 0; other offsets and slots read 0', () => {
    const { w, r, c } = rig();
    w(1, REG.UNIT, 1);
    w(1, REG.SECTOR_LO, 0x89abcdef);
    w(1, REG.SECTOR_HI, 0x12);
    w(1, REG.COUNT, 7);
    w(1, REG.DMA_ADDR, 0x20001000);
    w(1, REG.INT_ENABLE, 0xff);
    expect([REG.UNIT, REG.SECTOR_LO, REG.SECTOR_HI, REG.COUNT, REG.DMA_ADDR, REG.INT_ENABLE].map((x) => r(1, x))).toEqual([1, 0x89abcdef, 0x12, 7, 0x20001000, 1]);
    expect([REG.UNIT, REG.SECTOR_LO, REG.COUNT, REG.DMA_ADDR, REG.INT_ENABLE].map((x) => r(0, x))).toEqual([0, 0, 0, 0, 0]);
    expect(r(1, REG.COMMAND)).toBe(0);
    expect(r(1, 0x34)).toBe(0);
    expect(c.read(3 * SLOT + REG.ID, 4)).toBe(0);
    c.write(3 * SLOT + REG.COMMAND, 4, READ);
    expect(r(0, REG.STATUS)).toBe(0);
  });
});

describe('service time', () => {
  it('is command + count × per-sector, plus a seek when a command does not continue the previous one', () => {
    const { time, issue, c } = rig();
    issue(0, READ, 0, 4);
    expect(c.completionTime(0)).toBe(100 + 4 * 10);
    time.advanceTo(140);
    issue(0, READ, 4, 2);
    expect(c.completionTime(0)).toBe(140 + 100 + 2 * 10);
    time.advanceTo(260);
    issue(0, WRITE, 40, 1);
    expect(c.completionTime(0)).toBe(260 + 100 + 1000 + 10);
    time.advanceTo(1370);
    issue(0, FLUSH, 0, 0);
    expect(c.completionTime(0)).toBe(1370 + 100);
    time.advanceTo(1470);
    issue(0, READ, 41, 1);
    expect(c.completionTime(0)).toBe(1470 + 110);
  });

  it('serves commands of different slots one at a time, in issue order', () => {
    const { time, issue, c, done, r } = rig();
    issue(1, READ, 0, 1, MEM_BASE);
    issue(0, READ, 1, 1, MEM_BASE + 0x1000);
    issue(2, READ, 20, 1, MEM_BASE + 0x2000);
    expect([c.completionTime(1), c.completionTime(0), c.completionTime(2)]).toEqual([110, 220, 220 + 1110]);
    time.advanceTo(219);
    expect(r(0, REG.STATUS)).toBe(BUSY);
    expect(r(1, REG.STATUS)).toBe(DONE);
    time.advanceTo(2000);
    expect(done.map((d) => [d.slot, d.at])).toEqual([[1, 110], [0, 220], [2, 1330]]);
    issue(0, READ, 21, 1);
    expect(c.completionTime(0)).toBe(2000 + 110);
  });
});

describe('data movement', () => {
  it('READ: the data lands in memory when the command completes', () => {
    const { time, issue, mem, r } = rig();
    issue(0, READ, 5, 2, MEM_BASE + 0x200);
    time.advanceTo(119);
    expect(mem.at(MEM_BASE + 0x200, 1024).every((b) => b === 0xee)).toBe(true);
    time.advanceTo(100 + 1000 + 20);
    expect(r(0, REG.STATUS)).toBe(DONE);
    expect(mem.at(MEM_BASE + 0x200)).toEqual(Buffer.alloc(512, 5));
    expect(mem.at(MEM_BASE + 0x400)).toEqual(Buffer.alloc(512, 6));
  });

  it('WRITE: the data is taken from memory when the command starts', () => {
    const { time, issue, mem, disks, r, done } = rig();
    mem.bytes.fill(0x5a, 0, 1024);
    issue(0, WRITE, 8, 2, MEM_BASE);
    mem.bytes.fill(0x33, 0, 1024);
    time.advanceTo(10_000);
    expect(r(0, REG.STATUS)).toBe(DONE);
    expect(disks[0]!.bytes.subarray(8 * 512, 10 * 512)).toEqual(Buffer.alloc(1024, 0x5a));
    expect(disks[0]!.bytes.subarray(10 * 512, 11 * 512)).toEqual(Buffer.alloc(512, 10));
    expect(done).toMatchObject([{ slot: 0, op: 'write', sector: 8, count: 2, ok: true, status: DONE }]);
  });

  it('a READ issued after a WRITE to the same sectors returns the written data', () => {
    const { time, issue, mem } = rig();
    mem.bytes.fill(0x77, 0, 512);
    issue(0, WRITE, 3, 1, MEM_BASE);
    issue(1, READ, 3, 1, MEM_BASE + 0x1000);
    time.advanceTo(10_000);
    expect(mem.at(MEM_BASE + 0x1000)).toEqual(Buffer.alloc(512, 0x77));
  });

  it('FLUSH flushes the unit and completes after the command time', () => {
    const { time, issue, disks, r, w } = rig();
    w(0, REG.COUNT, 0);
    issue(0, FLUSH, 0, 0, 0, 1);
    expect(r(0, REG.STATUS)).toBe(BUSY);
    time.advanceTo(100);
    expect(r(0, REG.STATUS)).toBe(DONE);
    expect(disks[1]!.flushes).toBe(1);
    expect(disks[0]!.flushes).toBe(0);
  });
});

describe('errors', () => {
  it('a bad unit, a range beyond the disk, a bad count or a bad command fail at once', () => {
    const { issue, r, time, disks } = rig();
    issue(0, READ, 0, 1, MEM_BASE, 2);
    expect(r(0, REG.STATUS)).toBe(err(E.BAD_UNIT));
    issue(0, FLUSH, 0, 0, 0, 5);
    expect(r(0, REG.STATUS)).toBe(err(E.BAD_UNIT));
    issue(0, READ, 63, 2);
    expect(r(0, REG.STATUS)).toBe(err(E.RANGE));
    issue(0, WRITE, 15, 2, MEM_BASE, 1);
    expect(r(0, REG.STATUS)).toBe(err(E.RANGE));
    issue(0, READ, 0, 0);
    expect(r(0, REG.STATUS)).toBe(err(E.BAD_COMMAND));
    issue(0, READ, 0, 129);
    expect(r(0, REG.STATUS)).toBe(err(E.BAD_COMMAND));
    issue(0, 4, 0, 1);
    expect(r(0, REG.STATUS)).toBe(err(E.BAD_COMMAND));
    expect(time.pending).toBe(0);
    expect(disks[0]!.writes + disks[1]!.writes).toBe(0);
  });

  it('128 sectors is the largest count', () => {
    const { issue, r, c } = rig();
    const big = new BlockController('b', [new MemDisk('big', 256)], TIMING, 1);
    big.bind(0, { time: new FakeTime(), dma: new Mem() });
    big.write(REG.COUNT, 4, 128);
    big.write(REG.COMMAND, 4, READ);
    expect(big.read(REG.STATUS, 4)).toBe(BUSY);
    issue(0, READ, 0, 64);
    expect(r(0, REG.STATUS)).toBe(BUSY);
    expect(c.completionTime(0)).toBe(100 + 640);
  });

  it('DMA faults: a WRITE from unreadable memory fails at once; a READ into unwritable memory fails at completion', () => {
    const { issue, r, time, disks, done } = rig();
    issue(0, WRITE, 0, 1, 0x30000000);
    expect(r(0, REG.STATUS)).toBe(err(E.DMA));
    expect(disks[0]!.writes).toBe(0);
    issue(0, WRITE, 0, 2, MEM_BASE + 0x10000 - 512);
    expect(r(0, REG.STATUS)).toBe(err(E.DMA));
    issue(1, READ, 0, 1, 0x60000000);
    expect(r(1, REG.STATUS)).toBe(BUSY);
    time.advanceTo(10_000);
    expect(r(1, REG.STATUS)).toBe(err(E.DMA));
    expect(done).toMatchObject([{ slot: 1, op: 'read', ok: false, status: err(E.DMA) }]);
  });

  it('a slot nothing is bound to fails with a DMA fault', () => {
    const c = new BlockController('b', [new MemDisk('d', 8)], TIMING, 2);
    c.write(SLOT + REG.COUNT, 4, 1);
    c.write(SLOT + REG.COMMAND, 4, READ);
    expect(c.read(SLOT + REG.STATUS, 4)).toBe(err(E.DMA));
  });

  it('a command while the slot is busy is refused with error 4; STATUS still shows the slot busy', () => {
    const { issue, r, w } = rig();
    issue(0, READ, 2, 1, MEM_BASE);
    w(0, REG.COMMAND, READ);
    const status = r(0, REG.STATUS);
    expect((status >> 8) & 0xff).toBe(4);
    expect(status & ERROR).toBe(ERROR);
    expect(status & BUSY).toBe(BUSY);
  });

  it('refused commands do not disturb the command in flight: later ones are refused too, and it completes with its own data', () => {
    const { issue, w, time, mem, c, done } = rig();
    issue(0, READ, 2, 1, MEM_BASE);
    w(0, REG.COMMAND, READ);
    w(0, REG.SECTOR_LO, 9);
    w(0, REG.COMMAND, READ);
    expect(c.completionTime(0)).toBe(1110);
    time.advanceTo(10_000);
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ sector: 2, at: 1110, ok: true });
    expect(mem.at(MEM_BASE)).toEqual(Buffer.alloc(512, 2));
  });
});

describe('interrupts', () => {
  it('INT_STATUS is set on completion, the line follows INT_STATUS & INT_ENABLE, and INT_STATUS is write-1-to-clear', () => {
    const { issue, r, w, time, irqs } = rig();
    w(0, REG.INT_ENABLE, 1);
    issue(0, READ, 0, 1);
    expect(irqs[0]!.level).toBe(false);
    time.advanceTo(110);
    expect(r(0, REG.INT_STATUS)).toBe(1);
    expect(irqs[0]!.level).toBe(true);
    w(0, REG.INT_STATUS, 0);
    expect(irqs[0]!.level).toBe(true);
    w(0, REG.INT_STATUS, 1);
    expect(r(0, REG.INT_STATUS)).toBe(0);
    expect(irqs[0]!.level).toBe(false);
  });

  it('without INT_ENABLE the status is set but the line stays low until it is enabled', () => {
    const { issue, r, w, time, irqs } = rig();
    issue(1, READ, 0, 1);
    time.advanceTo(110);
    expect(r(1, REG.INT_STATUS)).toBe(1);
    expect(irqs[1]!.level).toBe(false);
    w(1, REG.INT_ENABLE, 1);
    expect(irqs[1]!.level).toBe(true);
    w(1, REG.INT_ENABLE, 0);
    expect(irqs[1]!.level).toBe(false);
  });

  it('each slot has its own interrupt status and line', () => {
    const { issue, r, w, time, irqs } = rig();
    w(0, REG.INT_ENABLE, 1);
    w(1, REG.INT_ENABLE, 1);
    issue(1, READ, 0, 1);
    time.advanceTo(110);
    expect([r(0, REG.INT_STATUS), r(1, REG.INT_STATUS)]).toEqual([0, 1]);
    expect([irqs[0]!.level, irqs[1]!.level, irqs[1]!.rises]).toEqual([false, true, 1]);
    expect(r(0, REG.STATUS)).toBe(0);
  });
});

describe('poll()', () => {
  /** A clock whose "now" moves without firing events (a driver running in a caller's context). */
  function manualTime(): VirtualTime & { t: number; cancelled: number; scheduled: number } {
    const clock = {
      hz: 25_000_000,
      t: 0,
      cancelled: 0,
      scheduled: 0,
      now: () => clock.t,
      schedule: (at: number, label: string) => {
        clock.scheduled++;
        return { at, label } as unknown as ScheduledEvent;
      },
      cancel: (e: ScheduledEvent | undefined) => void (e && clock.cancelled++),
    };
    return clock;
  }

  it('completes the command when its time has come, and not before; STATUS reads poll too', () => {
    const time = manualTime();
    const mem = new Mem();
    const c = new BlockController('b', [new MemDisk('d', 8)], TIMING, 2);
    const statuses: number[] = [];
    c.bind(1, { time, dma: mem, completed: (s) => statuses.push(s) });
    c.write(SLOT + REG.SECTOR_LO, 4, 3);
    c.write(SLOT + REG.COUNT, 4, 1);
    c.write(SLOT + REG.DMA_ADDR, 4, MEM_BASE);
    c.write(SLOT + REG.COMMAND, 4, READ);
    const at = c.completionTime(1)!;
    expect(at).toBe(1110);
    time.t = at - 1;
    c.poll(1);
    expect(c.completionTime(1)).toBe(at);
    expect(statuses).toEqual([]);
    time.t = at;
    c.poll(1);
    expect(statuses).toEqual([DONE]);
    expect(c.completionTime(1)).toBeUndefined();
    expect(time.cancelled).toBe(1);
    expect(mem.at(MEM_BASE)).toEqual(Buffer.alloc(512, 3));
    c.write(SLOT + REG.COMMAND, 4, READ);
    time.t += 10_000;
    expect(c.read(SLOT + REG.STATUS, 4)).toBe(DONE);
    expect(statuses).toEqual([DONE, DONE]);
  });
});
