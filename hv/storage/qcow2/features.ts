/**
 * Which qcow2 features hvlab accepts. Anything that would change how data is read (encryption,
 * external data files, other compression types, subclusters, unknown incompatible bits) is
 * refused with the feature's name; states that only matter for writing (dirty, snapshots) are
 * refused only for read-write opens.
 */
import { COMPAT_LAZY_REFCOUNTS, INCOMPAT } from './format.ts';
import type { Qcow2Header } from './header.ts';
import { hex, type ImageFile } from './image-file.ts';

const CRYPT_NAMES: Record<number, string> = { 1: 'AES', 2: 'LUKS' };

const REFUSED_INCOMPAT: Record<number, string> = {
  [INCOMPAT.corrupt]: "the image is marked corrupt (incompatible feature bit 1); repair it with 'qemu-img check -r all'",
  [INCOMPAT.externalDataFile]: 'external data files (incompatible feature bit 2) are not supported',
  [INCOMPAT.compressionType]: 'non-zlib compression (incompatible feature bit 3) is not supported',
  [INCOMPAT.extendedL2]: 'extended L2 entries / subclusters (incompatible feature bit 4) are not supported',
};

export function checkFeatures(h: Qcow2Header, readOnly: boolean, file: ImageFile): void {
  if (h.cryptMethod !== 0) {
    file.fail(`encrypted images are not supported (crypt_method ${h.cryptMethod}${CRYPT_NAMES[h.cryptMethod] ? ` = ${CRYPT_NAMES[h.cryptMethod]}` : ''})`);
  }
  for (let bit = 0; bit < 64; bit++) {
    if (!((h.incompatibleFeatures >> BigInt(bit)) & 1n) || bit === INCOMPAT.dirty) continue;
    const refused = REFUSED_INCOMPAT[bit];
    if (refused) file.fail(refused);
    const name = h.extensions.featureNames.get(`0:${bit}`);
    file.fail(`unknown incompatible feature bit ${bit}${name ? ` ("${name}")` : ''} (features ${hex(h.incompatibleFeatures)})`);
  }
  if (h.compressionType !== 0) file.fail(`compression type ${h.compressionType} is not supported (only 0 = zlib)`);
  if (!readOnly) checkWritable(h, file);
}

function checkWritable(h: Qcow2Header, file: ImageFile): void {
  if ((h.incompatibleFeatures >> BigInt(INCOMPAT.dirty)) & 1n) {
    file.fail("the image is dirty (refcounts were not written back, incompatible feature bit 0): open it read-only or repair it with 'qemu-img check -r all'");
  }
  if (h.nbSnapshots > 0) {
    file.fail(`writing to images with internal snapshots is not supported (${h.nbSnapshots} snapshots): open it read-only`);
  }
}

/** True when QEMU may defer refcount updates (compatible bit 0); hvlab updates them eagerly anyway. */
export function hasLazyRefcounts(h: Qcow2Header): boolean {
  return ((h.compatibleFeatures >> BigInt(COMPAT_LAZY_REFCOUNTS)) & 1n) !== 0n;
}
