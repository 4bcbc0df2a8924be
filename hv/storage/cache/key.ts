/**
 * Block keys. A key names one cache-block-sized block of one image file: the image's id (assigned
 * by whoever owns the images: the block cache or the simulator) and the block's index in that
 * image. A shared base-image block therefore has one key whatever overlay reads it.
 *
 * Keys are plain numbers (imageId * 2^32 + block) rather than strings or objects, so that the
 * policies can keep them in typed arrays and hash them without allocating: that is what lets a
 * lookup take tens of nanoseconds.
 */

export type BlockKey = number;

/** "No key": returned by CachePolicy.admit when nothing had to be evicted. */
export const NO_KEY: BlockKey = -1;

const BLOCKS_PER_IMAGE = 2 ** 32;

/** Image ids must keep keys below 2^53 (exact in a double). */
export const MAX_IMAGE_ID = 2 ** 21 - 1;

/** Block indices must fit in 32 bits (16 TiB of 4 KiB blocks per image). */
export const MAX_BLOCK_INDEX = BLOCKS_PER_IMAGE - 1;

export function blockKey(imageId: number, block: number): BlockKey {
  return imageId * BLOCKS_PER_IMAGE + block;
}

export function keyImageId(key: BlockKey): number {
  return Math.floor(key / BLOCKS_PER_IMAGE);
}

export function keyBlock(key: BlockKey): number {
  return key % BLOCKS_PER_IMAGE;
}
