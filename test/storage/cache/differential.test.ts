/**
 * Differential property test: random reads and writes by several VMs on overlays of one base,
 * through the cache (every policy, both write modes, clusters as large as a cache block and
 * smaller) and straight on an identical uncached copy of the images. Every read must return the
 * same bytes, and after close() every disk must hold the same data.
 */
import { describe, expect, it } from 'vitest';
import { BlockCache, type WriteMode } from '../../../hv/storage/cache/block-cache.ts';
import { POLICY_NAMES } from '../../../hv/storage/cache/policy.ts';
import { SECTOR_SIZE } from '../../../hv/storage/block-image.ts';
import { Prng } from '../../../hv/storage/sim/prng.ts';
import { FakeImage } from './fake-image.ts';

const SIZE = 96 * 1024;
const VMS = 3;

function world(cluster: number): FakeImage[] {
  const base = FakeImage.patterned('/images/base.img', SIZE, 7);
  base.readOnly = true;
  return Array.from({ length: VMS }, (_, i) => new FakeImage(`/images/vm${i}.qcow2`, SIZE, base, cluster));
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a).equals(Buffer.from(b));
}

function randomBytes(rng: Prng, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const value = rng.below(256);
  for (let i = 0; i < length; i++) out[i] = (value + i * 13) & 0xff;
  return out;
}

const cases = POLICY_NAMES.flatMap((policy) =>
  (['write-through', 'write-back'] as WriteMode[]).flatMap((mode) => [4096, 512].map((cluster) => ({ policy, mode, cluster }))),
);

describe('every policy returns exactly the image bytes', () => {
  it.each(cases)('$policy, $mode, clusters of $cluster bytes', ({ policy, mode, cluster }) => {
    const rng = new Prng(policy.length * 1000 + cluster + (mode === 'write-back' ? 1 : 0));
    const cached = world(cluster);
    const reference = world(cluster);
    const cache = new BlockCache({ capacity: 8, policy, writeMode: mode });
    for (let op = 0; op < 3000; op++) {
      const vm = rng.below(VMS);
      if (rng.chance(0.25)) {
        const sector = rng.below(SIZE / SECTOR_SIZE - 16);
        const data = randomBytes(rng, rng.between(1, 16) * SECTOR_SIZE);
        cache.write(cached[vm]!, sector * SECTOR_SIZE, data);
        reference[vm]!.writeSectors(sector, data);
      } else {
        const offset = rng.below(SIZE - 1);
        const length = rng.between(1, Math.min(12_000, SIZE - offset));
        const expected = reference[vm]!.readSectors(0, SIZE / SECTOR_SIZE).slice(offset, offset + length);
        if (!same(cache.read(cached[vm]!, offset, length), expected)) {
          expect.fail(`op ${op}: vm${vm} read ${offset}+${length} differs from the image`);
        }
      }
    }
    cache.close();
    for (let vm = 0; vm < VMS; vm++) {
      expect(same(cached[vm]!.readSectors(0, SIZE / SECTOR_SIZE), reference[vm]!.readSectors(0, SIZE / SECTOR_SIZE))).toBe(true);
    }
    expect(cache.stats.hits).toBeGreaterThan(0);
    expect(cache.stats.evictions).toBeGreaterThan(0);
  });
});
