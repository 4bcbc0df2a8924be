/**
 * The hvlab I/O contract, mirrored from firmware/lib/hvlab-io.h (the C side's copy): addresses
 * of the guest-visible virtio devices, the driver window, the physical devices, the layout of
 * the call record, the interface table and the mailbox, and the driver VM's hypercall numbers.
 * test/io/layout.test.ts checks this file against the header.
 */

export const HV_VIRTIO_BLK_BASE = 0x40100000;
export const HV_VIRTIO_CONSOLE_BASE = 0x40100200;
export const HV_VIRTIO_BLK_IRQ = 14;
export const HV_VIRTIO_CONSOLE_IRQ = 15;
export const HV_VIRTIO_QUEUE_MAX = 16;
export const HV_VIRTIO_BLK_MAX_BYTES = 65536;

export const HV_WINDOW_BASE = 0x60000000;
export const HV_WINDOW_SIZE = 0x00100000;
export const HV_INTERFACE_ADDR = 0x60000400;
export const HV_INTERFACE_MAGIC = 0x49445648;
export const HV_INTERFACE_VERSION = 1;
export const HV_MAX_CORES = 8;
export const HV_MAX_FRONTENDS = 8;
export const HV_CALL_RETURN_ADDR = 0x6ffffff0;

export const HV_BLKCTL_BASE = 0x40110000;
export const HV_HOSTUART_BASE = 0x40118000;
export const HV_SLOT_STRIDE = 0x100;
export const HV_DRIVER_VM_SLOT = 0;
export const HV_BLKCTL_IRQ = 26;
export const HV_EVTCHN_IRQ = 25;

export const HV_MODE_DIRECT = 0;
export const HV_MODE_GRANT = 1;
export const HV_RESULT_NOTIFY = 1 << 0;
export const HV_RESULT_NEEDS_RESET = 1 << 1;
export const HV_CALL_MAGIC = 0x4c4c4143;
export const HV_MAX_RAM_RANGES = 4;
export const HV_MAILBOX_SLOTS = 16;

export const HV_SVC = {
  GRANT_COPY_FROM: 0x40,
  GRANT_COPY_TO: 0x41,
  QUEUE_STATE: 0x42,
  READY: 0x43,
} as const;
export const HV_GRANT_OK = 0;
export const HV_GRANT_DENIED = -1;

/** Word fields of struct hv_io_call, in order (the ram[] array is 2 × HV_MAX_RAM_RANGES words). */
const CALL_FIELDS = [
  'magic', 'mode', 'device', 'frontend', 'queue', 'queueSize', 'desc', 'avail', 'used', 'lastAvail', 'usedIdx', 'features',
  'ramCount', ...Array.from({ length: HV_MAX_RAM_RANGES * 2 }, (_, i) => `ram${i}`),
  'blkSlot', 'uartSlot', 'unit', 'capacityLo', 'capacityHi', 'channel', 'result', 'completed', 'errors', 'generation',
] as const;

export const CALL_WORDS = CALL_FIELDS.length;
export const CALL_SIZE = CALL_WORDS * 4;
/** Byte offset of a field of struct hv_io_call. */
export const CALL_OFFSET: Readonly<Record<string, number>> = Object.fromEntries(CALL_FIELDS.map((f, i) => [f, i * 4]));

/** struct hv_driver_interface, in order. */
export const INTERFACE_FIELDS = ['magic', 'version', 'calls', 'stacksTop', 'stackSize', 'blkNotify', 'consoleNotify', 'mailbox'] as const;
export const INTERFACE_SIZE = INTERFACE_FIELDS.length * 4;
/** struct hv_mailbox: head, tail, then HV_MAILBOX_SLOTS call records. */
export const MAILBOX_EVENTS_OFFSET = 8;

/** The call record as the hypervisor builds and reads it. */
export interface IoCall {
  mode: number;
  device: number;
  frontend: number;
  queue: number;
  queueSize: number;
  desc: number;
  avail: number;
  used: number;
  lastAvail: number;
  usedIdx: number;
  features: number;
  ram: ReadonlyArray<{ base: number; size: number }>;
  blkSlot: number;
  uartSlot: number;
  unit: number;
  capacity: number;
  channel: number;
  result: number;
  completed: number;
  errors: number;
  generation: number;
}

const O = CALL_OFFSET as Readonly<Record<(typeof CALL_FIELDS)[number], number>>;
const RAM0 = CALL_OFFSET['ram0']!;

/** The record as bytes: into `out` (CALL_SIZE bytes, reused by hot paths) or a new buffer. */
export function encodeCall(call: IoCall, out?: Buffer): Buffer {
  const b = out ?? Buffer.alloc(CALL_SIZE);
  if (out) b.fill(0, 0, CALL_SIZE);
  // Field by field through a DataView (one property load and one store each; this runs for
  // every in-context call, and Buffer's writeUInt32LE stores byte by byte).
  const v = new DataView(b.buffer, b.byteOffset, CALL_SIZE);
  const put = (offset: number | undefined, value: number) => v.setUint32(offset!, value >>> 0, true);
  put(O.magic, HV_CALL_MAGIC);
  put(O.mode, call.mode);
  put(O.device, call.device);
  put(O.frontend, call.frontend);
  put(O.queue, call.queue);
  put(O.queueSize, call.queueSize);
  put(O.desc, call.desc);
  put(O.avail, call.avail);
  put(O.used, call.used);
  put(O.lastAvail, call.lastAvail);
  put(O.usedIdx, call.usedIdx);
  put(O.features, call.features);
  const ranges = Math.min(call.ram.length, HV_MAX_RAM_RANGES);
  put(O.ramCount, ranges);
  for (let i = 0; i < ranges; i++) {
    put(RAM0 + 8 * i, call.ram[i]!.base);
    put(RAM0 + 8 * i + 4, call.ram[i]!.size);
  }
  put(O.blkSlot, call.blkSlot);
  put(O.uartSlot, call.uartSlot);
  put(O.unit, call.unit);
  put(O.channel, call.channel);
  put(O.result, call.result);
  put(O.completed, call.completed);
  put(O.errors, call.errors);
  put(O.generation, call.generation);
  put(O.capacityLo, call.capacity % 2 ** 32);
  put(O.capacityHi, Math.floor(call.capacity / 2 ** 32));
  return b;
}

/** The fields the driver writes back. */
export function decodeCallResult(b: Buffer): Pick<IoCall, 'lastAvail' | 'usedIdx' | 'result' | 'completed' | 'errors'> & { magic: number; frontend: number; device: number; queue: number } {
  const v = new DataView(b.buffer, b.byteOffset, CALL_SIZE);
  const get = (offset: number | undefined) => v.getUint32(offset!, true);
  return {
    magic: get(O.magic),
    frontend: get(O.frontend),
    device: get(O.device),
    queue: get(O.queue),
    lastAvail: get(O.lastAvail) & 0xffff,
    usedIdx: get(O.usedIdx) & 0xffff,
    result: get(O.result),
    completed: get(O.completed),
    errors: get(O.errors),
  };
}
