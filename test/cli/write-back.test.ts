/**
 * `io.cache.write: back` end to end: the same workload on a qcow2 overlay with a write-through and
 * a write-back cache leaves the same guest-visible disk (no data lost at shutdown), a clean
 * `qemu-img check`, and an untouched base image.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createQcow2 } from '../../hv/storage/qcow2/create.ts';
import { HAVE_QEMU, NEEDS_QEMU, qemuCheck, qemuRaw } from '../storage/helpers.ts';
import { FIRMWARE, makeTempDir, runHv } from '../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-write-back-');
afterAll(() => tmp.remove());

function system(mode: 'through' | 'back'): string {
  const overlay = join(tmp.dir, `overlay-${mode}.qcow2`);
  createQcow2(overlay, { backing: 'base.qcow2', backingFormat: 'qcow2' });
  const file = join(tmp.dir, `${mode}.yaml`);
  writeFileSync(
    file,
    [
      'cores: 2',
      'io:',
      `  driver-vm: { image: ${FIRMWARE}/driver-vm.elf, core: 1 }`,
      `  cache: { policy: layered, size: 64KiB, write: ${mode} }`,
      'guests:',
      `  - { name: io, image: ${FIRMWARE}/ioload.elf, core: 1, io-path: in-context, disk: overlay-${mode}.qcow2, cmdline: "requests=24 seed=5" }`,
      '',
    ].join('\n'),
  );
  return file;
}

describe.skipIf(!HAVE_QEMU)(`hv run with a write-back disk cache${NEEDS_QEMU}`, () => {
  it('leaves the same disk as write-through, consistent, with the base unchanged', () => {
    const base = join(tmp.dir, 'base.qcow2');
    createQcow2(base, { size: 1 << 20 });
    const baseBytes = readFileSync(base);
    const results = (['through', 'back'] as const).map((mode) => {
      const r = runHv(['run', system(mode)]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/\[io\] ioload: 192 requests, 0 errors/);
      const overlay = join(tmp.dir, `overlay-${mode}.qcow2`);
      expect(qemuCheck(overlay).code).toBe(0);
      return { stdout: r.stdout.split('\n').filter((l) => l.startsWith('[io]')), disk: qemuRaw(overlay, tmp.dir) };
    });
    expect(results[1]!.stdout).toEqual(results[0]!.stdout);
    expect(results[1]!.disk.equals(results[0]!.disk)).toBe(true);
    expect(results[0]!.disk.some((b) => b !== 0)).toBe(true);
    expect(readFileSync(base).equals(baseBytes)).toBe(true);
  }, 240_000);
});
