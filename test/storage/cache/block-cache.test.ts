import { describe, expect, it } from 'vitest';
import { BlockCache } from '../../../hv/storage/cache/block-cache.ts';
import { CachedDisk } from '../../../hv/storage/cache/cached-disk.ts';
import { LruPolicy } from '../../../hv/storage/cache/lru.ts';
import { FakeImage, fakeChain } from './fake-image.ts';

const BS = 4096;

/** Byte-exact comparison without vitest's element-by-element diff (slow on large arrays). */
function same(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function filled(length: number, value: number): Uint8Array {
  return new Uint8Array(length).fill(value);
}

describe('BlockCache reads', () => {
  it('returns exactly the image bytes, unaligned ranges included, and hits on a second read', () => {
    const image = FakeImage.patterned('/images/a.img', 64 * 1024, 3);
    const cache = new BlockCache({ capacity: 16, policy: 'lru' });
    expect(cache.read(image, 1000, 10_000)).toEqual(image.data.slice(1000, 11_000));
    const readsAfterFirst = image.sectorReads;
    expect(cache.read(image, 3000, 5000)).toEqual(image.data.slice(3000, 8000));
    expect(image.sectorReads).toBe(readsAfterFirst);
    expect(cache.stats.hits).toBe(2);
    expect(cache.stats.misses).toBe(3);
  });

  it('keys a base block once: a read through another overlay hits the block cached for the first', () => {
    const { base, overlays } = fakeChain(3);
    const cache = new BlockCache({ capacity: 16 });
    expect(cache.read(overlays[0]!, 8192, BS)).toEqual(base.data.slice(8192, 8192 + BS));
    const baseReads = base.sectorReads;
    expect(cache.read(overlays[1]!, 8192, BS)).toEqual(base.data.slice(8192, 8192 + BS));
    expect(base.sectorReads).toBe(baseReads);
    expect(cache.stats.hits).toBe(1);
  });

  it('tells the policy how many overlays reference a block, and when an overlay stops sharing it', () => {
    const { overlays } = fakeChain(3);
    const seen: number[] = [];
    const changed: number[] = [];
    const policy = new LruPolicy(64);
    const spy = Object.assign(Object.create(policy) as LruPolicy, {
      admit: (key: number, now: number, references: number) => (seen.push(references), policy.admit(key, now, references)),
      setReferences: (_key: number, references: number) => void changed.push(references),
    });
    const cache = new BlockCache({ capacity: 64, policy: spy });
    for (const o of overlays) cache.attach(o);
    cache.read(overlays[0]!, 0, BS);
    expect(seen).toEqual([3]); // base block 0 under three overlays
    cache.write(overlays[0]!, 0, filled(BS, 9)); // overlay 0 now has its own copy
    expect(changed).toEqual([2]);
    cache.read(overlays[0]!, 0, BS); // its own block: private
    cache.read(overlays[1]!, BS, BS);
    expect(seen).toEqual([3, 1, 3]);
  });

  it('reads blocks no image holds as zeros without caching them', () => {
    const overlay = new FakeImage('/images/empty.qcow2', 32 * 1024, null);
    overlay.allocated.fill(0);
    const cache = new BlockCache({ capacity: 8, policy: 'arc' });
    expect(cache.read(overlay, 0, 2 * BS)).toEqual(new Uint8Array(2 * BS));
    expect(cache.stats.zeroBlocks).toBe(2);
    expect(cache.policy.size).toBe(0);
  });

  it('pads the last partial block of an image with zeros in cache memory only', () => {
    const image = FakeImage.patterned('/images/odd.img', 3 * BS + 1024, 5);
    const cache = new BlockCache({ capacity: 8 });
    expect(cache.read(image, 3 * BS, 1024)).toEqual(image.data.slice(3 * BS));
    expect(() => cache.read(image, 3 * BS, 1025)).toThrow(/beyond the end/);
  });

  it('reads around the cache a block whose halves resolve to different files', () => {
    const base = FakeImage.patterned('/images/base.img', 32 * 1024, 1);
    const overlay = new FakeImage('/images/small-clusters.qcow2', 32 * 1024, base, 512);
    overlay.writeSectors(1, filled(512, 0xee)); // sector 1 is the overlay's, sectors 0 and 2..7 the base's
    const cache = new BlockCache({ capacity: 8 });
    const expected = base.data.slice(0, BS);
    expected.fill(0xee, 512, 1024);
    expect(cache.read(overlay, 0, BS)).toEqual(expected);
    expect(cache.stats.bypassed).toBe(1);
  });

  it('charges hits less than misses under the cost model', () => {
    const image = FakeImage.patterned('/images/a.img', 64 * 1024, 3);
    const cache = new BlockCache({ capacity: 16 });
    cache.read(image, 0, 2 * BS);
    const miss = cache.stats.lastReadCycles;
    cache.read(image, 0, 2 * BS);
    expect(cache.stats.lastReadCycles).toBeLessThan(miss / 10);
  });
});

describe('BlockCache writes', () => {
  it('write-through: the top image has the data at once, the base never changes, cached copies follow', () => {
    const { base, overlays } = fakeChain(2);
    const baseBefore = base.data.slice();
    const cache = new BlockCache({ capacity: 16 });
    const [a, b] = [overlays[0]!, overlays[1]!];
    cache.read(a, 0, BS);
    cache.read(b, 0, BS);
    cache.write(a, 512, filled(1024, 0x5a));
    expect(same(base.data, baseBefore)).toBe(true);
    expect(a.data.slice(512, 1536)).toEqual(filled(1024, 0x5a));
    const seenByA = cache.read(a, 0, BS);
    expect(seenByA.slice(512, 1536)).toEqual(filled(1024, 0x5a));
    expect(seenByA.slice(0, 512)).toEqual(baseBefore.slice(0, 512));
    expect(cache.read(b, 0, BS)).toEqual(baseBefore.slice(0, BS));
    // A cached copy of the top's own block is updated in place by the next write.
    cache.write(a, 0, filled(512, 0x11));
    expect(cache.read(a, 0, 512)).toEqual(filled(512, 0x11));
    expect(cache.dirtyBlocks).toBe(0);
  });

  it('write-back: data stays in cache until flush, reads see it, the base never changes', () => {
    const { base, overlays } = fakeChain(2);
    const baseBefore = base.data.slice();
    const cache = new BlockCache({ capacity: 16, writeMode: 'write-back' });
    const [a, b] = [overlays[0]!, overlays[1]!];
    cache.write(a, BS + 512, filled(512, 0x77));
    expect(a.sectorWrites).toBe(0);
    expect(cache.dirtyBlocks).toBe(1);
    const seen = cache.read(a, BS, BS);
    expect(seen.slice(512, 1024)).toEqual(filled(512, 0x77));
    expect(seen.slice(0, 512)).toEqual(baseBefore.slice(BS, BS + 512));
    expect(cache.read(b, BS, BS)).toEqual(baseBefore.slice(BS, 2 * BS));
    cache.flush(a);
    expect(a.flushes).toBe(1);
    expect(cache.dirtyBlocks).toBe(0);
    expect(a.data.slice(BS, 2 * BS)).toEqual(seen);
    expect(same(base.data, baseBefore)).toBe(true);
  });

  it('write-back: evicting a dirty block writes it to its image first', () => {
    const image = FakeImage.patterned('/images/a.img', 256 * 1024, 2);
    const cache = new BlockCache({ capacity: 8, policy: 'lru', writeMode: 'write-back' });
    cache.write(image, 0, filled(BS, 0x42));
    for (let i = 1; i <= 8; i++) cache.read(image, i * BS, BS);
    expect(cache.stats.writeBacks).toBe(1);
    expect(image.data.slice(0, BS)).toEqual(filled(BS, 0x42));
  });

  it('write-back: close() (shutdown) loses nothing', () => {
    const { overlays } = fakeChain(3);
    const cache = new BlockCache({ capacity: 32, writeMode: 'write-back' });
    overlays.forEach((o, i) => cache.write(o, i * BS, filled(2 * BS, 0x10 + i)));
    cache.close();
    overlays.forEach((o, i) => {
      expect(o.data.slice(i * BS, (i + 2) * BS)).toEqual(filled(2 * BS, 0x10 + i));
      expect(o.flushes).toBe(1);
    });
    expect(() => cache.read(overlays[0]!, 0, 512)).toThrow(/after close/);
  });

  it('rejects writes that are not whole sectors or go to a read-only image', () => {
    const image = FakeImage.patterned('/images/a.img', 64 * 1024, 2);
    const cache = new BlockCache({ capacity: 8 });
    expect(() => cache.write(image, 100, filled(512, 1))).toThrow(/whole sectors/);
    image.readOnly = true;
    expect(() => cache.write(image, 0, filled(512, 1))).toThrow(/read-only/);
  });
});

describe('CachedDisk', () => {
  it('presents a VM disk as sectors through the shared cache, flushes on guest flush and on close', () => {
    const { base, overlays } = fakeChain(2);
    const cache = new BlockCache({ capacity: 16, writeMode: 'write-back' });
    const disk = new CachedDisk(cache, overlays[0]!);
    expect(disk.size).toBe(overlays[0]!.size);
    expect(disk.backing).toBe(base);
    expect(disk.readSectors(8, 8)).toEqual(base.data.slice(4096, 8192));
    disk.writeSectors(0, filled(1024, 0xab));
    expect(disk.readSectors(0, 2)).toEqual(filled(1024, 0xab));
    disk.flush();
    expect(overlays[0]!.data.slice(0, 1024)).toEqual(filled(1024, 0xab));
    disk.writeSectors(16, filled(512, 0xcd));
    disk.close();
    expect(overlays[0]!.data.slice(8192, 8704)).toEqual(filled(512, 0xcd));
    expect(overlays[0]!.closed).toBe(true);
  });
});
