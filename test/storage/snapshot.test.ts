import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openImage } from '../../hv/storage/open-image.ts';
import { createQcow2 } from '../../hv/storage/qcow2/create.ts';
import { openSnapshot } from '../../hv/storage/snapshot.ts';
import { tempDir } from './helpers.ts';

const dir = tempDir('hvlab-snapshot-test-');

function pattern(seed: number, bytes: number): Uint8Array {
  return Uint8Array.from({ length: bytes }, (_, i) => (seed * 31 + i * 7) & 0xff);
}

describe('openSnapshot (QEMU -snapshot semantics)', () => {
  for (const format of ['raw', 'qcow2'] as const) {
    it(`${format}: reads the base, keeps writes in a temporary overlay, never writes the base, removes the overlay on close`, () => {
      const base = join(dir(), `base-${format}.img`);
      if (format === 'raw') writeFileSync(base, Buffer.from(pattern(1, 256 * 1024)));
      else {
        createQcow2(base, { size: 256 * 1024, clusterBits: 12 });
        const image = openImage(base);
        image.writeSectors(0, pattern(1, 256 * 1024));
        image.close();
      }
      const before = readFileSync(base);
      const snap = openSnapshot(base, 'guest-a');
      expect(snap.format).toBe('qcow2');
      expect(snap.file.endsWith('/guest-a.snapshot.qcow2')).toBe(true);
      expect(snap.backing?.file).toBe(base);
      expect(snap.size).toBe(256 * 1024);
      expect(Buffer.from(snap.readSectors(0, 512)).equals(Buffer.from(pattern(1, 256 * 1024)))).toBe(true);

      snap.writeSectors(3, pattern(9, 1024));
      snap.flush();
      expect(Buffer.from(snap.readSectors(3, 2)).equals(Buffer.from(pattern(9, 1024)))).toBe(true);
      expect(Buffer.from(snap.readSectors(5, 1)).equals(Buffer.from(pattern(1, 256 * 1024).subarray(5 * 512, 6 * 512)))).toBe(true);
      // The overlay's own clusters are located in the snapshot, the rest in the base.
      expect(snap.locate(3 * 512).image).toBe(snap);
      expect(snap.locate(100 * 1024).image.file).toBe(base);

      const overlayDir = dirname(snap.file);
      expect(existsSync(snap.file)).toBe(true);
      snap.close();
      expect(existsSync(overlayDir)).toBe(false);
      expect(readFileSync(base).equals(before)).toBe(true);
    });
  }

  it('names the file when the base cannot be opened', () => {
    const missing = join(dir(), 'missing.img');
    expect(() => openSnapshot(missing, 'x')).toThrow(missing);
  });
});
