/**
 * A split virtqueue in a guest's memory as the device side walks it (virtio 1.2 §2.7), with the
 * validation every I/O path applies identically (the driver VM's C backend implements the same
 * rules): the available index may run ahead of the device by at most the queue size, a
 * descriptor index must be below the queue size, a chain may not be longer than the queue (which
 * also catches loops), indirect descriptors are not offered, and every buffer must lie inside
 * the guest's RAM. A structural error (indices, loops) makes the queue unusable: the device asks
 * for a reset. A bad buffer only fails its request.
 */
import { GuestSignal } from '../errors.ts';
import type { MemoryPort } from '../../devices/memory-port.ts';
import type { QueueState } from './virtio-mmio.ts';

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
const UNUSABLE_ADDRESS = 0xffffffff;

/** Guest memory as the device side sees it: nothing outside the guest's RAM. */
export type GuestMemory = MemoryPort;

export interface Descriptor {
  readonly address: number;
  readonly length: number;
  readonly writable: boolean;
}

/** The guest's queue is structurally broken: the device asks for a reset. */
export class QueueCorrupt extends GuestSignal {
  readonly code = 'HV_QUEUE_CORRUPT';

  constructor(readonly reason: string) {
    super(reason);
  }
}

export class GuestQueue {
  constructor(
    private readonly memory: GuestMemory,
    private readonly state: QueueState,
  ) {}

  /** Heads of the chains the driver made available and the device has not taken yet. */
  takeAvailable(): number[] {
    const q = this.state;
    const availIdx = this.u16(q.driver + 2);
    const pending = (availIdx - q.lastAvail) & 0xffff;
    if (pending > q.num) throw new QueueCorrupt(`available index ${availIdx} is ${pending} ahead of ${q.lastAvail} (queue size ${q.num})`);
    const heads: number[] = [];
    for (let i = 0; i < pending; i++) {
      const head = this.u16(q.driver + 4 + 2 * ((q.lastAvail + i) % q.num));
      if (head >= q.num) throw new QueueCorrupt(`descriptor index ${head} in the available ring is not below ${q.num}`);
      heads.push(head);
    }
    q.lastAvail = (q.lastAvail + pending) & 0xffff;
    return heads;
  }

  /** The descriptors of the chain starting at `head`. */
  chain(head: number): Descriptor[] {
    const q = this.state;
    const out: Descriptor[] = [];
    let index = head;
    for (;;) {
      if (out.length >= q.num) throw new QueueCorrupt(`descriptor chain from ${head} is longer than the queue (${q.num}) or loops`);
      const raw = this.read(q.desc + 16 * index, 16);
      const flags = raw.readUInt16LE(12);
      if (flags & VIRTQ_DESC_F_INDIRECT) throw new QueueCorrupt('indirect descriptor (VIRTIO_F_INDIRECT_DESC was not offered)');
      // An address above 4 GiB can never be RAM of this 32-bit board: mark it unusable.
      const address = raw.readUInt32LE(4) === 0 ? raw.readUInt32LE(0) : UNUSABLE_ADDRESS;
      out.push({ address, length: raw.readUInt32LE(8), writable: (flags & VIRTQ_DESC_F_WRITE) !== 0 });
      if (!(flags & VIRTQ_DESC_F_NEXT)) return out;
      index = raw.readUInt16LE(14);
      if (index >= q.num) throw new QueueCorrupt(`descriptor ${index} named as next is not below ${q.num}`);
    }
  }

  /** Appends (head, written bytes) to the used ring and publishes the new used index. */
  pushUsed(head: number, written: number): void {
    const q = this.state;
    const entry = Buffer.alloc(8);
    entry.writeUInt32LE(head, 0);
    entry.writeUInt32LE(written >>> 0, 4);
    this.write(q.device + 4 + 8 * (q.usedIdx % q.num), entry);
    q.usedIdx = (q.usedIdx + 1) & 0xffff;
    const idx = Buffer.alloc(2);
    idx.writeUInt16LE(q.usedIdx);
    this.write(q.device + 2, idx);
  }

  private u16(address: number): number {
    return this.read(address, 2).readUInt16LE(0);
  }

  private read(address: number, length: number): Buffer {
    const bytes = this.memory.read(address, length);
    if (!bytes) throw new QueueCorrupt(`queue memory at 0x${address.toString(16)} is outside the guest's RAM`);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private write(address: number, data: Uint8Array): void {
    if (!this.memory.write(address, data)) throw new QueueCorrupt(`queue memory at 0x${address.toString(16)} is outside the guest's RAM`);
  }
}
