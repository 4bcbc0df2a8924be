/**
 * Isolation between images in the block cache (issue 11, item 1): a key must name one block of one
 * image whatever the image's size. With keys built as `image id * 2^32 + block`, block 2^32 of one
 * image was block 0 of the next: a guest with a large sparse disk could overwrite another guest's
 * cached block, and at write-back its data landed in the other guest's file.
 */
import { describe, expect, it } from 'vitest';
import { SECTOR_SIZE } from '../../../hv/storage/block-image.ts';
import { BlockCache, type WriteMode } from '../../../hv/storage/cache/block-cache.ts';
import { KeySpace } from '../../../hv/storage/cache/key-space.ts';
import { SparseImage } from './sparse-image.ts';

const BLOCK = 512;
/** The first block index that did not fit in 32 bits. */
const FAR = 2 ** 32;
const TIB = 2 ** 40;

function attackerAndVictim(): { attacker: SparseImage; victim: SparseImage } {
  return { attacker: new SparseImage('/images/attacker.img', 4 * TIB), victim: new SparseImage('/images/victim.img', TIB) };
}

describe('block keys cannot collide between images', () => {
  it.each<WriteMode>(['write-through', 'write-back'])('%s: a write far into one disk never reaches another disk', (writeMode) => {
    const { attacker, victim } = attackerAndVictim();
    const cache = new BlockCache({ capacity: 16, blockSize: BLOCK, policy: 'lru', writeMode });
    cache.attach(attacker); // registered first: image id 0, the victim gets id 1
    cache.attach(victim);
    const original = victim.readSectors(0, 1);
    expect(cache.read(victim, 0, BLOCK)).toEqual(original);
    const evil = new Uint8Array(BLOCK).fill(0x66);
    cache.write(attacker, FAR * BLOCK, evil);
    expect(cache.read(victim, 0, BLOCK)).toEqual(original);
    expect(cache.read(attacker, FAR * BLOCK, BLOCK)).toEqual(evil);
    cache.close();
    expect(victim.readSectors(0, 1)).toEqual(original);
    expect(attacker.readSectors(FAR, 1)).toEqual(evil);
  });

  it('reads blocks past 2^32 of a large image through the cache', () => {
    const { attacker } = attackerAndVictim();
    const cache = new BlockCache({ capacity: 16, blockSize: BLOCK });
    const at = (FAR + 5) * BLOCK;
    expect(cache.read(attacker, at, 2 * BLOCK)).toEqual(attacker.readSectors(at / SECTOR_SIZE, 2));
    expect(cache.read(attacker, at, BLOCK)).toEqual(attacker.readSectors(at / SECTOR_SIZE, 1));
    expect(cache.stats.hits).toBe(1);
  });
});

describe('KeySpace', () => {
  it('gives every (image, block) pair its own key and maps it back', () => {
    const space = new KeySpace();
    const pairs: [number, number][] = [
      [0, 0], [0, FAR], [1, 0], [0, 2 ** 52], [1, FAR], [7, 65_535], [7, 65_536], [2 ** 40, 3],
    ];
    const keys = pairs.map(([image, block]) => space.key(image, block));
    expect(new Set(keys).size).toBe(pairs.length);
    pairs.forEach(([image, block], i) => {
      expect(space.imageOf(keys[i]!)).toBe(image);
      expect(space.blockOf(keys[i]!)).toBe(block);
      expect(space.key(image, block)).toBe(keys[i]);
      expect(Number.isSafeInteger(keys[i])).toBe(true);
    });
  });

  it('keys neighbouring blocks of one image with neighbouring numbers, and finds without allocating', () => {
    const space = new KeySpace();
    const a = space.key(3, 1000);
    expect(space.key(3, 1001)).toBe(a + 1);
    expect(space.find(3, 1001)).toBe(a + 1);
    expect(space.find(4, 1001)).toBe(-1);
    expect(space.find(3, 10 * 2 ** 32)).toBe(-1);
  });
});
