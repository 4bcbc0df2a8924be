/**
 * A virtio-blk request as a descriptor chain (virtio 1.2 §5.2.6), checked the way every I/O path
 * checks it (the driver VM's C backend applies the same rules): one device-readable 16-byte
 * header, data descriptors whose direction matches the request type, lengths in whole sectors,
 * at most HV_VIRTIO_BLK_MAX_BYTES of data, a sector range inside the disk, GET_ID into one
 * buffer of at least 20 bytes, and exactly one device-writable status byte at the end (without
 * it the request cannot be answered: the queue needs a reset; anything else is IOERR).
 */
import { HV_VIRTIO_BLK_MAX_BYTES } from './layout.ts';
import type { Descriptor } from './guest-queue.ts';
import { BLK_S, BLK_T } from './virtio-devices.ts';

export const SECTOR = 512;
/** The disk ID GET_ID returns: 20 bytes (virtio 1.2 §5.2.6). */
export const BLK_ID_BYTES = 20;

export type BlkRequest =
  | { readonly kind: 'read' | 'write'; readonly sector: number; readonly data: readonly Descriptor[]; readonly status: Descriptor }
  | { readonly kind: 'flush'; readonly status: Descriptor }
  | { readonly kind: 'get-id'; readonly data: readonly Descriptor[]; readonly status: Descriptor }
  /** A request the device answers with `code` without doing anything. */
  | { readonly kind: 'reject'; readonly code: number; readonly reason: string; readonly status: Descriptor }
  /** Not even a status byte to answer in: the queue is unusable. */
  | { readonly kind: 'malformed'; readonly reason: string };

export interface BlkLimits {
  /** Disk size in sectors. */
  readonly capacity: number;
  /** True when the range lies inside the guest's RAM. */
  inRam(address: number, length: number): boolean;
}

export function parseBlkRequest(chain: readonly Descriptor[], header: Uint8Array | undefined, limits: BlkLimits): BlkRequest {
  const status = chain[chain.length - 1];
  if (!status || !status.writable || status.length !== 1 || !limits.inRam(status.address, 1)) {
    return { kind: 'malformed', reason: 'no device-writable 1-byte status in guest RAM at the end of the chain' };
  }
  if (chain.length < 2) return reject(status, 'a request without a header');
  const head = chain[0]!;
  if (head.writable || head.length !== 16 || !header) return reject(status, 'the header is not one device-readable 16-byte descriptor in RAM');
  const view = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  const type = view.readUInt32LE(0);
  const sector = view.readUInt32LE(8) + view.readUInt32LE(12) * 2 ** 32;
  const data = chain.slice(1, -1);
  switch (type) {
    case BLK_T.IN:
    case BLK_T.OUT:
      return dataRequest(type === BLK_T.IN ? 'read' : 'write', sector, data, status, limits);
    case BLK_T.FLUSH:
      return data.length === 0 ? { kind: 'flush', status } : reject(status, 'a flush carries no data');
    case BLK_T.GET_ID:
      return data.length === 1 && data[0]!.writable && data[0]!.length >= BLK_ID_BYTES && limits.inRam(data[0]!.address, BLK_ID_BYTES)
        ? { kind: 'get-id', data, status }
        : reject(status, `GET_ID needs one device-writable buffer of at least ${BLK_ID_BYTES} bytes in RAM`);
    default:
      return { kind: 'reject', code: BLK_S.UNSUPP, reason: `unsupported request type ${type}`, status };
  }
}

function dataRequest(kind: 'read' | 'write', sector: number, data: readonly Descriptor[], status: Descriptor, limits: BlkLimits): BlkRequest {
  const total = data.reduce((a, d) => a + d.length, 0);
  if (data.length === 0 || total === 0) return reject(status, `a ${kind} without data`);
  if (data.some((d) => d.writable !== (kind === 'read'))) return reject(status, `a ${kind} buffer has the wrong direction`);
  if (data.some((d) => d.length === 0 || d.length % SECTOR !== 0)) return reject(status, 'data lengths must be nonzero whole sectors');
  if (total > HV_VIRTIO_BLK_MAX_BYTES) return reject(status, `${total} bytes exceed the ${HV_VIRTIO_BLK_MAX_BYTES}-byte limit`);
  if (sector + total / SECTOR > limits.capacity) return reject(status, `sectors ${sector}+${total / SECTOR} are beyond the disk (${limits.capacity})`);
  if (data.some((d) => !limits.inRam(d.address, d.length))) return reject(status, 'a data buffer lies outside the guest RAM');
  return { kind, sector, data, status };
}

function reject(status: Descriptor, reason: string): BlkRequest {
  return { kind: 'reject', code: BLK_S.IOERR, reason, status };
}
