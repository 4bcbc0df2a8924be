/**
 * The virtio device types hvlab offers guests: virtio-blk (virtio 1.2 §5.2) and virtio-console
 * with one port (§5.3). They define features, queues and the configuration space; the requests
 * themselves are served by the guest's I/O path.
 */
import { HV_VIRTIO_QUEUE_MAX } from './layout.ts';
import { F_VERSION_1, VIRTIO_ID, type VirtioDeviceType } from './virtio-mmio.ts';

export const VIRTIO_BLK_F_FLUSH = 1n << 9n;
export const BLK_T = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8 } as const;
export const BLK_S = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;
export const BLK_ID_BYTES = 20;
export const CONSOLE_TRANSMITQ = 1;

/** virtio-blk of `sectors` 512-byte sectors: capacity in configuration space, FLUSH offered. */
export function virtioBlockType(sectors: number): VirtioDeviceType {
  return {
    deviceId: VIRTIO_ID.BLOCK,
    features: F_VERSION_1 | VIRTIO_BLK_F_FLUSH,
    queueCount: 1,
    queueMax: HV_VIRTIO_QUEUE_MAX,
    configRead: (offset, size) => configField(offset, size, [sectors % 2 ** 32, Math.floor(sectors / 2 ** 32)]),
  };
}

/** virtio-console with port 0 only: receiveq (0) and transmitq (1); configuration all zero. */
export function virtioConsoleType(): VirtioDeviceType {
  return {
    deviceId: VIRTIO_ID.CONSOLE,
    features: F_VERSION_1,
    queueCount: 2,
    queueMax: HV_VIRTIO_QUEUE_MAX,
    configRead: () => 0,
  };
}

/** Reads `size` bytes at `offset` of a configuration space made of little-endian words. */
function configField(offset: number, size: number, words: readonly number[]): number {
  const bytes = Buffer.alloc(words.length * 4 + 8);
  words.forEach((w, i) => bytes.writeUInt32LE(w >>> 0, 4 * i));
  if (offset + size > bytes.length) return 0;
  return bytes.readUIntLE(offset, Math.min(size, 4));
}

/** The ID string GET_ID returns (the driver VM answers the same). */
export function blockId(unit: number): Uint8Array {
  const id = Buffer.alloc(BLK_ID_BYTES);
  id.write(`hvlab-disk-${unit}`, 'latin1');
  return id;
}
