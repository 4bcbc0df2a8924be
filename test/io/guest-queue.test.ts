/**
 * The device side of a split virtqueue (hv/io/guest-queue.ts) over an in-memory guest RAM:
 * walking the available ring, following descriptor chains, writing the used ring, and every
 * structural error that makes the queue unusable (QueueCorrupt).
 */
import { describe, expect, it } from 'vitest';
import { type GuestMemory, GuestQueue, QueueCorrupt, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE } from '../../hv/io/guest-queue.ts';
import type { QueueState } from '../../hv/io/virtio-mmio.ts';

const RAM_BASE = 0x20000000;
const RAM_SIZE = 0x10000;
const DESC = RAM_BASE + 0x1000;
const AVAIL = RAM_BASE + 0x2000;
const USED = RAM_BASE + 0x3000;

/** Guest RAM: one region; nothing outside it is readable or writable. */
class Ram implements GuestMemory {
  readonly bytes = Buffer.alloc(RAM_SIZE);
  reads = 0;

  read(address: number, length: number): Uint8Array | undefined {
    if (address < RAM_BASE || address + length > RAM_BASE + RAM_SIZE) return undefined;
    this.reads++;
    return this.bytes.subarray(address - RAM_BASE, address - RAM_BASE + length);
  }

  write(address: number, data: Uint8Array): boolean {
    if (address < RAM_BASE || address + data.length > RAM_BASE + RAM_SIZE) return false;
    this.bytes.set(data, address - RAM_BASE);
    return true;
  }

  u16(address: number): number {
    return this.bytes.readUInt16LE(address - RAM_BASE);
  }

  u32(address: number): number {
    return this.bytes.readUInt32LE(address - RAM_BASE);
  }

  setU16(address: number, value: number): void {
    this.bytes.writeUInt16LE(value, address - RAM_BASE);
  }

  desc(index: number, address: number, length: number, flags = 0, next = 0, high = 0): void {
    const o = DESC + 16 * index - RAM_BASE;
    this.bytes.writeUInt32LE(address >>> 0, o);
    this.bytes.writeUInt32LE(high, o + 4);
    this.bytes.writeUInt32LE(length, o + 8);
    this.bytes.writeUInt16LE(flags, o + 12);
    this.bytes.writeUInt16LE(next, o + 14);
  }

  /** Publishes `heads` in the available ring from ring position `from` and sets idx. */
  avail(heads: readonly number[], from: number, num: number, idx: number): void {
    heads.forEach((h, i) => this.setU16(AVAIL + 4 + 2 * ((from + i) % num), h));
    this.setU16(AVAIL + 2, idx & 0xffff);
  }
}

function queue(num = 8, overrides: Partial<QueueState> = {}): QueueState {
  return { num, ready: true, desc: DESC, driver: AVAIL, device: USED, high: 0, lastAvail: 0, usedIdx: 0, generation: 1, ...overrides };
}

function corrupt(fn: () => unknown): QueueCorrupt {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(QueueCorrupt);
    return error as QueueCorrupt;
  }
  throw new Error('expected QueueCorrupt');
}

describe('available ring', () => {
  it('takes the heads published since the last call, in ring order, and nothing more', () => {
    const ram = new Ram();
    const q = queue();
    ram.avail([3, 5], 0, 8, 2);
    const gq = new GuestQueue(ram, q);
    expect(gq.takeAvailable()).toEqual([3, 5]);
    expect(q.lastAvail).toBe(2);
    expect(gq.takeAvailable()).toEqual([]);
    ram.avail([7], 2, 8, 3);
    expect(gq.takeAvailable()).toEqual([7]);
    expect(q.lastAvail).toBe(3);
  });

  it('follows the 16-bit index across its wrap and the ring across its end', () => {
    const ram = new Ram();
    const q = queue(8, { lastAvail: 0xfffe });
    ram.avail([1, 2, 4], 0xfffe, 8, 0x10001);
    expect(new GuestQueue(ram, q).takeAvailable()).toEqual([1, 2, 4]);
    expect(q.lastAvail).toBe(1);
  });

  it('accepts an index exactly a queue size ahead', () => {
    const ram = new Ram();
    const q = queue(4);
    ram.avail([0, 1, 2, 3], 0, 4, 4);
    expect(new GuestQueue(ram, q).takeAvailable()).toEqual([0, 1, 2, 3]);
  });

  it('an index more than a queue size ahead is QueueCorrupt and takes nothing', () => {
    const ram = new Ram();
    const q = queue(8);
    ram.avail([0], 0, 8, 9);
    expect(corrupt(() => new GuestQueue(ram, q).takeAvailable()).reason).toMatch(/ahead/);
    expect(q.lastAvail).toBe(0);
  });

  it('an index behind the device (a huge unsigned distance) is QueueCorrupt', () => {
    const ram = new Ram();
    const q = queue(8, { lastAvail: 5 });
    ram.avail([], 0, 8, 4);
    corrupt(() => new GuestQueue(ram, q).takeAvailable());
  });

  it('a head that is not below the queue size is QueueCorrupt', () => {
    const ram = new Ram();
    ram.avail([2, 8], 0, 8, 2);
    expect(corrupt(() => new GuestQueue(ram, queue(8)).takeAvailable()).reason).toMatch(/8/);
  });

  it('an available ring outside RAM is QueueCorrupt', () => {
    corrupt(() => new GuestQueue(new Ram(), queue(8, { driver: 0x30000000 })).takeAvailable());
    // The index inside RAM but the ring entries running off its end.
    const ram = new Ram();
    const end = RAM_BASE + RAM_SIZE - 4;
    ram.setU16(end + 2, 2);
    corrupt(() => new GuestQueue(ram, queue(8, { driver: end })).takeAvailable());
  });
});

describe('descriptor chains', () => {
  it('reads address, length and direction of each descriptor, following NEXT', () => {
    const ram = new Ram();
    ram.desc(2, 0x20004000, 16, VIRTQ_DESC_F_NEXT, 5);
    ram.desc(5, 0x20005000, 512, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 0);
    ram.desc(0, 0x20006000, 1, VIRTQ_DESC_F_WRITE);
    expect(new GuestQueue(ram, queue()).chain(2)).toEqual([
      { address: 0x20004000, length: 16, writable: false },
      { address: 0x20005000, length: 512, writable: true },
      { address: 0x20006000, length: 1, writable: true },
    ]);
  });

  it('an address with a nonzero high word is marked unusable (0xffffffff)', () => {
    const ram = new Ram();
    ram.desc(0, 0x20004000, 16, 0, 0, 1);
    expect(new GuestQueue(ram, queue()).chain(0)).toEqual([{ address: 0xffffffff, length: 16, writable: false }]);
  });

  it('a chain as long as the queue is fine; a loop is QueueCorrupt', () => {
    const ram = new Ram();
    for (let i = 0; i < 8; i++) ram.desc(i, RAM_BASE + 0x100 * i, 512, i < 7 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
    expect(new GuestQueue(ram, queue(8)).chain(0)).toHaveLength(8);
    ram.desc(7, RAM_BASE, 512, VIRTQ_DESC_F_NEXT, 0);
    expect(corrupt(() => new GuestQueue(ram, queue(8)).chain(0)).reason).toMatch(/longer than the queue|loops/);
    const small = new Ram();
    small.desc(0, RAM_BASE, 16, VIRTQ_DESC_F_NEXT, 1);
    small.desc(1, RAM_BASE, 16, VIRTQ_DESC_F_NEXT, 0);
    corrupt(() => new GuestQueue(small, queue(8)).chain(1));
  });

  it('a next index that is not below the queue size is QueueCorrupt', () => {
    const ram = new Ram();
    ram.desc(0, RAM_BASE, 16, VIRTQ_DESC_F_NEXT, 8);
    corrupt(() => new GuestQueue(ram, queue(8)).chain(0));
  });

  it('an indirect descriptor is refused (QueueCorrupt)', () => {
    const ram = new Ram();
    ram.desc(0, RAM_BASE, 16, VIRTQ_DESC_F_NEXT, 1);
    ram.desc(1, RAM_BASE + 0x800, 32, VIRTQ_DESC_F_INDIRECT);
    expect(corrupt(() => new GuestQueue(ram, queue(8)).chain(0)).reason).toMatch(/indirect/i);
  });

  it('a descriptor table outside RAM is QueueCorrupt', () => {
    corrupt(() => new GuestQueue(new Ram(), queue(8, { desc: 0x60000000 })).chain(0));
    corrupt(() => new GuestQueue(new Ram(), queue(8, { desc: RAM_BASE + RAM_SIZE - 16 })).chain(1));
  });
});

describe('used ring', () => {
  it('writes (id, length) at the used index and then publishes the index', () => {
    const ram = new Ram();
    const q = queue(4, { usedIdx: 6 });
    new GuestQueue(ram, q).pushUsed(3, 513);
    expect(ram.u32(USED + 4 + 8 * 2)).toBe(3);
    expect(ram.u32(USED + 4 + 8 * 2 + 4)).toBe(513);
    expect(ram.u16(USED + 2)).toBe(7);
    expect(q.usedIdx).toBe(7);
  });

  it('the used index wraps at 16 bits', () => {
    const ram = new Ram();
    const q = queue(8, { usedIdx: 0xffff });
    new GuestQueue(ram, q).pushUsed(1, 0);
    expect(q.usedIdx).toBe(0);
    expect(ram.u16(USED + 2)).toBe(0);
    expect(ram.u32(USED + 4 + 8 * 7)).toBe(1);
  });

  it('a used ring outside RAM is QueueCorrupt', () => {
    corrupt(() => new GuestQueue(new Ram(), queue(8, { device: 0x24000000 })).pushUsed(0, 1));
  });
});
