/**
 * Block keys. A key names one cache-block-sized block of one image file. Keys are plain numbers
 * (not strings or objects) so that the policies can keep them in typed arrays and hash them
 * without allocating: that is what lets a lookup take tens of nanoseconds. Who owns the images
 * (the block cache, the simulator) hands them out through a {@link KeySpace} (key-space.ts), which
 * gives every (image, block) pair its own key, whatever the image's size.
 */

export type BlockKey = number;

/** "No key": returned by CachePolicy.admit when nothing had to be evicted. */
export const NO_KEY: BlockKey = -1;
