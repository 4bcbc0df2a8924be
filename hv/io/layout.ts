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

/** Module-level helpers, not closures: a closure made per call is a cost on this path. */
function put(v: DataView, offset: number | undefined, value: number): void {
  v.setUint32(offset!, value >>> 0, true);
}

function get(v: DataView, offset: number | undefined): number {
  return v.getUint32(offset!, true);
}

/** The record as bytes: into `out` (CALL_SIZE bytes, reused by hot paths) or a new buffer. */
export function encodeCall(call: IoCall, out?: Buffer): Buffer {
  const b = out ?? Buffer.alloc(CALL_SIZE);
  if (out) b.fill(0, 0, CALL_SIZE);
  // Field by field through a DataView (one property load and one store each; this runs for
  // every in-context call, and Buffer's writeUInt32LE stores byte by byte).
  const v = new DataView(b.buffer, b.byteOffset, CALL_SIZE);
  put(v, O.magic, HV_CALL_MAGIC);
  put(v, O.mode, call.mode);
  put(v, O.device, call.device);
  put(v, O.frontend, call.frontend);
  put(v, O.queue, call.queue);
  put(v, O.queueSize, call.queueSize);
  put(v, O.desc, call.desc);
  put(v, O.avail, call.avail);
  put(v, O.used, call.used);
  put(v, O.lastAvail, call.lastAvail);
  put(v, O.usedIdx, call.usedIdx);
  put(v, O.features, call.features);
  const ranges = Math.min(call.ram.length, HV_MAX_RAM_RANGES);
  put(v, O.ramCount, ranges);
  for (let i = 0; i < ranges; i++) {
    put(v, RAM0 + 8 * i, call.ram[i]!.base);
    put(v, RAM0 + 8 * i + 4, call.ram[i]!.size);
  }
  put(v, O.blkSlot, call.blkSlot);
  put(v, O.uartSlot, call.uartSlot);
  put(v, O.unit, call.unit);
  put(v, O.channel, call.channel);
  put(v, O.result, call.result);
  put(v, O.completed, call.completed);
  put(v, O.errors, call.errors);
  put(v, O.generation, call.generation);
  put(v, O.capacityLo, call.capacity % 2 ** 32);
  put(v, O.capacityHi, Math.floor(call.capacity / 2 ** 32));
  return b;
}

/** The fields the driver writes back. */
export function decodeCallResult(b: Buffer): Pick<IoCall, 'lastAvail' | 'usedIdx' | 'result' | 'completed' | 'errors'> & { magic: number; frontend: number; device: number; queue: number } {
  const v = new DataView(b.buffer, b.byteOffset, CALL_SIZE);
  return {
    magic: get(v, O.magic),
    frontend: get(v, O.frontend),
    device: get(v, O.device),
    queue: get(v, O.queue),
    lastAvail: get(v, O.lastAvail) & 0xffff,
    usedIdx: get(v, O.usedIdx) & 0xffff,
    result: get(v, O.result),
    completed: get(v, O.completed),
    errors: get(v, O.errors),
  };
}
