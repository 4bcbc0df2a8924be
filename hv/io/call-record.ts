/** Builds the call record (struct hv_io_call) the driver code receives for a notified queue. */
import type { DriverPathOptions } from './io-path.ts';
import { type IoCall, encodeCall } from './layout.ts';
import type { VirtioTransport } from './virtio-mmio.ts';

/** The guest a call record is for (a path's options carry all of it). */
export type CallTarget = Readonly<Pick<DriverPathOptions, 'vm' | 'frontend' | 'channel' | 'unit' | 'capacity'>>;

/** The record's bytes; into `out` (CALL_SIZE bytes) when given, else a new buffer. */
export function buildCall(mode: number, t: CallTarget, transport: VirtioTransport, queue: number, slots: { blk: number; uart: number }, out?: Buffer): Buffer {
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
    ram: t.vm.board.memory, // regions have base and size
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
  return encodeCall(call, out);
}
