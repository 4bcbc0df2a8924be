/**
 * `hv run` refuses systems in which two users would write one disk file (or one would write what
 * another reads), and disks another process writes: exit 2, naming the file and both users.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openImage } from '../../hv/storage/open-image.ts';
import { createQcow2 } from '../../hv/storage/qcow2/create.ts';
import { FIRMWARE, type HvResult, makeTempDir, runHv } from '../helpers/hv-cli.ts';
import { STACK_TRACE, hvInProcess } from '../helpers/hv-in-process.ts';

const tmp = makeTempDir('hvlab-disk-lock-');
afterAll(() => tmp.remove());
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** A system of ioload guests on the emulated path (no driver VM needed), one line per disk entry. */
function system(name: string, disks: ReadonlyArray<{ disk: string; snapshot?: boolean }>): string {
  const guests = disks.map(({ disk, snapshot }, i) =>
    [
      `  - name: g${i}`,
      `    image: ${join(FIRMWARE, 'ioload.elf')}`,
      '    io-path: emulated',
      `    disk: ${disk}`,
      ...(snapshot ? ['    disk-snapshot: true'] : []),
      '    cmdline: requests=2',
    ].join('\n'),
  );
  const file = join(tmp.dir, name);
  writeFileSync(file, `guests:\n${guests.join('\n')}\n`);
  return file;
}

function rawDisk(name: string): string {
  const file = join(tmp.dir, name);
  writeFileSync(file, Buffer.alloc(1 << 20));
  return file;
}

function expectRefused(r: HvResult, message: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(message);
  expect(r.stderr).not.toMatch(STACK_TRACE);
}

// In-process (`main()`, as bin/hv.js runs it) but the last case, which needs a second process.
describe('hv run: one writer per disk file', () => {
  it('two guests naming one disk file read-write are refused before anything runs', async () => {
    const disk = rawDisk('shared.img');
    const before = sha(disk);
    const r = await hvInProcess(['run', system('two-writers.yaml', [{ disk: 'shared.img' }, { disk: 'shared.img' }])]);
    expectRefused(r, new RegExp(`^hv: ${disk}: guest "g1" cannot open it for writing: guest "g0" has it open for writing; an image can have several readers, or one writer and no other user$`, 'm'));
    expect(sha(disk)).toBe(before);
  });

  it('also through a symlink (files are identified by device and inode)', async () => {
    rawDisk('linked.img');
    symlinkSync(join(tmp.dir, 'linked.img'), join(tmp.dir, 'alias.img'));
    const r = await hvInProcess(['run', system('symlink.yaml', [{ disk: 'linked.img' }, { disk: 'alias.img' }])]);
    expectRefused(r, /alias\.img: guest "g1" cannot open it for writing: guest "g0" has it open for writing \(as .*linked\.img\)/);
  });

  it('a guest writing the base image of another guest\'s overlay is refused', async () => {
    createQcow2(join(tmp.dir, 'base.qcow2'), { size: 1 << 20 });
    createQcow2(join(tmp.dir, 'overlay.qcow2'), { backing: join(tmp.dir, 'base.qcow2') });
    const r = await hvInProcess(['run', system('base-and-overlay.yaml', [{ disk: 'base.qcow2' }, { disk: 'overlay.qcow2' }])]);
    expectRefused(r, /base\.qcow2: guest "g1" \(as the backing file of overlay\.qcow2\) cannot open it read-only: guest "g0" has it open for writing/);
  });

  it('snapshots of one disk share it: the run goes ahead', async () => {
    rawDisk('snapshots.img');
    const r = await hvInProcess(['run', system('snapshots.yaml', [{ disk: 'snapshots.img', snapshot: true }, { disk: 'snapshots.img', snapshot: true }])]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[g1\] ioload: 16 requests, 0 errors/);
  });

  it('a disk another process has open for writing is refused', () => {
    const disk = rawDisk('held.img');
    const held = openImage(disk, { owner: 'the test' });
    try {
      const r = runHv(['run', system('held.yaml', [{ disk: 'held.img' }])]);
      expectRefused(r, /held\.img: guest "g0" cannot open it for writing: another process \(QEMU or another hv\) is using it/);
    } finally {
      held.close();
    }
  });
});
