/**
 * Issue 4, writes: "images stay consistent (qemu-img check) after an interrupted write-back run".
 * A process that dies keeps every write it issued (the page cache has them) and loses what the
 * write-back cache still holds. So the file as it stands after any image write is what an
 * interruption there leaves: each such state must pass `qemu-img check` (at worst leaked
 * clusters), and after each guest flush the overlay must hold everything written so far.
 * The base image is never written.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BlockCache } from '../../../hv/storage/cache/block-cache.ts';
import { CachedDisk } from '../../../hv/storage/cache/cached-disk.ts';
import { openImage } from '../../../hv/storage/open-image.ts';
import { createQcow2 } from '../../../hv/storage/qcow2/create.ts';
import { ImageFile } from '../../../hv/storage/qcow2/image-file.ts';
import { HAVE_QEMU, NEEDS_QEMU, patternBytes, qemuCheck, qemuRaw, randomInt, seededRandom, tempDir } from '../helpers.ts';

const dir = tempDir('hvlab-wb-interrupt-');
const SIZE = 2 * 1024 * 1024;

describe.skipIf(!HAVE_QEMU)(`write-back cache over a qcow2 overlay, interrupted at every image write${NEEDS_QEMU}`, () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(['layered', 'lru'] as const)('%s: every interruption point passes qemu-img check; flushed data is durable', (policy) => {
    const base = join(dir(), `base-${policy}.qcow2`);
    const overlay = join(dir(), `overlay-${policy}.qcow2`);
    createQcow2(base, { size: SIZE, clusterBits: 12 });
    const random = seededRandom(11);
    const model = Buffer.alloc(SIZE);
    {
      const b = openImage(base);
      const data = patternBytes(random, SIZE / 2);
      b.writeSectors(0, data);
      data.copy(model, 0);
      b.close();
    }
    const baseBytes = readFileSync(base);
    createQcow2(overlay, { backing: base, clusterBits: 13 });

    const interrupted = join(dir(), `interrupted-${policy}.qcow2`);
    const checks: Array<number | null> = [];
    const original = ImageFile.prototype.write;
    let writes = 0;
    vi.spyOn(ImageFile.prototype, 'write').mockImplementation(function (this: ImageFile, offset: number, data: Uint8Array) {
      original.call(this, offset, data);
      // Sample every third write to keep qemu-img runs bounded; the sampling is deterministic.
      if (this.path === overlay && writes++ % 3 === 0) {
        copyFileSync(overlay, interrupted);
        checks.push(qemuCheck(interrupted).code);
      }
    });

    // 64 blocks of cache memory: evictions write dirty blocks back mid-run.
    const cache = new BlockCache({ capacity: 64, blockSize: 4096, policy, writeMode: 'write-back' });
    const disk = new CachedDisk(cache, openImage(overlay));
    const flushed: Buffer[] = [];
    for (let i = 0; i < 300; i++) {
      const sectors = 1 + randomInt(random, 16);
      const sector = randomInt(random, SIZE / 512 - sectors + 1);
      if (random() < 0.6) {
        const data = patternBytes(random, sectors * 512);
        disk.writeSectors(sector, data);
        data.copy(model, sector * 512);
      } else {
        expect(Buffer.from(disk.readSectors(sector, sectors)).equals(model.subarray(sector * 512, (sector + sectors) * 512))).toBe(true);
      }
      if (i % 100 === 99) {
        disk.flush();
        copyFileSync(overlay, interrupted);
        flushed.push(qemuRaw(interrupted, dir()));
        expect(flushed.at(-1)!.equals(model)).toBe(true);
      }
    }
    disk.close();
    cache.close();
    vi.restoreAllMocks();

    expect(checks.length).toBeGreaterThan(20);
    // 0: clean, 3: leaked clusters only; 2 (corruption) must never happen.
    expect(checks.filter((code) => code !== 0 && code !== 3)).toEqual([]);
    expect(flushed).toHaveLength(3);
    expect(qemuCheck(overlay).code).toBe(0);
    expect(qemuRaw(overlay, dir()).equals(model)).toBe(true);
    expect(readFileSync(base).equals(baseBytes)).toBe(true);
  }, 300_000);
});
