/**
 * Assigns block keys to (image id, block index) pairs so that two different pairs never share a
 * key, whatever the image sizes: a key is an exact safe integer, and block indices run up to
 * 2^53 (an image of 2^53 bytes has that many 1-byte "blocks").
 *
 * Why not `image * 2^k + block`: any fixed split of the 53 bits of a double caps the blocks per
 * image, and a disk past the cap silently shares keys with the next image (issue 11: one guest's
 * writes landed in another guest's disk). Instead the key space is handed out in chunks of
 * CHUNK_BLOCKS consecutive blocks of one image, in the order they are first used: a key is the
 * chunk's number times CHUNK_BLOCKS plus the block's place in it. Neighbouring blocks of an image
 * get neighbouring keys (within a chunk), a chunk is only created for blocks that are used, and
 * the last chunk used is remembered, so the common case costs a comparison and an addition.
 */
import { ConfigError } from '../../errors.ts';
import { type BlockKey, NO_KEY } from './key.ts';

/** Blocks per chunk: 2^16 (256 MiB of 4 KiB blocks). */
export const CHUNK_BLOCKS = 2 ** 16;
/** Chunks that keep every key below 2^53. */
const MAX_CHUNKS = 2 ** 53 / CHUNK_BLOCKS;

export class KeySpace {
  /** Per image id: chunk index within the image -> chunk number. */
  private readonly chunks = new Map<number, Map<number, number>>();
  /** Per chunk number: its image and the index of its first block. */
  private readonly chunkImage: number[] = [];
  private readonly chunkFirst: number[] = [];
  private lastImage = -1;
  private lastIndex = -1;
  private lastBase = 0;

  /** The key of `block` of image `image`, creating its chunk on first use. */
  key(image: number, block: number): BlockKey {
    const index = Math.floor(block / CHUNK_BLOCKS);
    if (image !== this.lastImage || index !== this.lastIndex) this.enter(image, index, true);
    return this.lastBase + (block - index * CHUNK_BLOCKS);
  }

  /** The key of `block` of `image` if its chunk exists (a block never keyed cannot be cached), else NO_KEY. */
  find(image: number, block: number): BlockKey {
    const index = Math.floor(block / CHUNK_BLOCKS);
    if ((image !== this.lastImage || index !== this.lastIndex) && !this.enter(image, index, false)) return NO_KEY;
    return this.lastBase + (block - index * CHUNK_BLOCKS);
  }

  imageOf(key: BlockKey): number {
    return this.chunkImage[Math.floor(key / CHUNK_BLOCKS)]!;
  }

  blockOf(key: BlockKey): number {
    const chunk = Math.floor(key / CHUNK_BLOCKS);
    return this.chunkFirst[chunk]! + (key - chunk * CHUNK_BLOCKS);
  }

  /** Makes (image, index) the remembered chunk; false when it does not exist and `create` is false. */
  private enter(image: number, index: number, create: boolean): boolean {
    let perImage = this.chunks.get(image);
    let chunk = perImage?.get(index);
    if (chunk === undefined) {
      if (!create) return false;
      chunk = this.chunkImage.length;
      if (chunk >= MAX_CHUNKS) throw new ConfigError(`block keys: more than ${MAX_CHUNKS} chunks of ${CHUNK_BLOCKS} blocks in use`);
      if (!perImage) this.chunks.set(image, (perImage = new Map()));
      perImage.set(index, chunk);
      this.chunkImage.push(image);
      this.chunkFirst.push(index * CHUNK_BLOCKS);
    }
    this.lastImage = image;
    this.lastIndex = index;
    this.lastBase = chunk * CHUNK_BLOCKS;
    return true;
  }
}
