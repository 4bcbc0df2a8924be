/** Builds the call record (struct hv_io_call) the driver code receives for a notified queue. */
import type { Vm } from '../core/vm.ts';
import { type IoCall, encodeCall } from './layout.ts';
import type { VirtioTransport } from './virtio-mmio.ts';

export interface CallTarget {
  readonly vm: Vm;
  /** The frontend number: the grant domain and the driver VM's queue-state index. */
  readonly frontend: number;
  /** The console UART channel of the guest's console output (its guest index). */
  readonly channel: number;
  readonly unit: number;
  readonly capacity: number;
}

export function buildCall(mode: number, t: CallTarget, transport: VirtioTransport, queue: number, slots: { blk: number; uart: number }): Buffer {
  const q = transport.queues[queue]!;
  const call: IoCall = {
    mode,
    device: transport.deviceId,
    frontend: t.frontend,
    queue,
    queueSize: q.num,
    desc: q.desc,
    avail: q.driver,
    used: q.device,
    lastAvail: q.lastAvail,
    usedIdx: q.usedIdx,
    features: transport.featuresLow,
    ram: t.vm.board.memory.map((m) => ({ base: m.base, size: m.size })),
    blkSlot: slots.blk,
    uartSlot: slots.uart,
    unit: t.unit,
    capacity: t.capacity,
    channel: t.channel,
    result: 0,
    completed: 0,
    errors: 0,
    generation: q.generation,
  };
  return encodeCall(call);
}
