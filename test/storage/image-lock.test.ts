/**
 * Disk image locking: several readers, or one writer and nobody else, by file identity (device
 * and inode), through backing chains, and across processes with QEMU's own lock bytes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, linkSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ImageLockError } from '../../hv/errors.ts';
import type { BlockImage } from '../../hv/storage/block-image.ts';
import { openImage } from '../../hv/storage/open-image.ts';
import { createQcow2 } from '../../hv/storage/qcow2/create.ts';
import { byteLockedByOthers } from '../../hv/storage/ofd-lock.ts';
import { openSnapshot } from '../../hv/storage/snapshot.ts';
import { findOnPath } from '../helpers/host-tools.ts';
import { thrown } from '../helpers/thrown.ts';
import { HAVE_QEMU, NEEDS_QEMU, QEMU_IMG, QEMU_IO, tempDir } from './helpers.ts';

const dir = tempDir('hvlab-lock-');
const QEMU_SYSTEM = findOnPath('qemu-system-arm');
const open: BlockImage[] = [];
afterEach(() => {
  for (const image of open.splice(0)) image.close();
});

function raw(name: string, sectors = 16): string {
  const file = join(dir(), name);
  writeFileSync(file, Buffer.alloc(sectors * 512));
  return file;
}

function opened(image: BlockImage): BlockImage {
  open.push(image);
  return image;
}

function refusal(fn: () => unknown): string {
  return thrown(fn, ImageLockError, 'HV_IMAGE_LOCKED').message;
}

describe('in one process', () => {
  it('a second writer is refused, naming both users', () => {
    const file = raw('two-writers.img');
    opened(openImage(file, { owner: 'guest "a"' }));
    expect(refusal(() => openImage(file, { owner: 'guest "b"' }))).toBe(
      `${file}: guest "b" cannot open it for writing: guest "a" has it open for writing; an image can have several readers, or one writer and no other user`,
    );
  });

  it('a reader is refused while there is a writer, and a writer while there are readers', () => {
    const file = raw('reader-writer.img');
    const writer = openImage(file, { owner: 'guest "w"' });
    expect(refusal(() => openImage(file, { owner: 'guest "r"', readOnly: true }))).toMatch(/guest "r" cannot open it read-only: guest "w" has it open for writing/);
    writer.close();
    opened(openImage(file, { owner: 'guest "r1"', readOnly: true }));
    opened(openImage(file, { owner: 'guest "r2"', readOnly: true }));
    expect(refusal(() => openImage(file, { owner: 'guest "w"' }))).toMatch(/guest "w" cannot open it for writing: guest "r1" has it open read-only/);
  });

  it('the same file under another name is the same file: symlink, hard link, other spelling', () => {
    const file = raw('identity.img');
    const symlink = join(dir(), 'identity-symlink.img');
    const hardlink = join(dir(), 'identity-hardlink.img');
    symlinkSync(file, symlink);
    linkSync(file, hardlink);
    opened(openImage(file, { owner: 'guest "a"' }));
    for (const other of [symlink, hardlink, join(dir(), '.', 'identity.img')]) {
      expect(refusal(() => openImage(other, { owner: 'guest "b"' }))).toMatch(/guest "b" cannot open it for writing: guest "a" has it open for writing/);
    }
  });

  it('closing releases the lock', () => {
    const file = raw('release.img');
    openImage(file).close();
    opened(openImage(file, { owner: 'guest "again"' }));
  });

  it('a qcow2 image is locked too, also when it fails to open later in its chain', () => {
    const base = join(dir(), 'q-base.qcow2');
    const overlay = join(dir(), 'q-overlay.qcow2');
    createQcow2(base, { size: 1 << 20 });
    createQcow2(overlay, { backing: base });
    opened(openImage(base, { owner: 'guest "a"' }));
    expect(refusal(() => openImage(base, { owner: 'guest "b"' }))).toMatch(/guest "b" cannot open it for writing: guest "a"/);
    // The overlay opens, then its backing file is refused: nothing of the overlay stays locked.
    expect(refusal(() => openImage(overlay, { owner: 'guest "c"' }))).toMatch(
      /q-base\.qcow2: guest "c" \(as the backing file of q-overlay\.qcow2\) cannot open it read-only: guest "a" has it open for writing/,
    );
    open.splice(0).forEach((i) => i.close());
    opened(openImage(overlay, { owner: 'guest "c"' }));
  });

  it('overlays over one base share it read-only; writing the base while they are open is refused', () => {
    const base = join(dir(), 'shared-base.qcow2');
    createQcow2(base, { size: 1 << 20 });
    const overlays = ['ov1', 'ov2', 'ov3'].map((n) => {
      const file = join(dir(), `${n}.qcow2`);
      createQcow2(file, { backing: base });
      return file;
    });
    overlays.forEach((file, i) => opened(openImage(file, { owner: `guest "g${i}"` })).writeSectors(0, Buffer.alloc(512, i + 1)));
    expect(refusal(() => openImage(base, { owner: 'guest "writer"' }))).toMatch(
      /shared-base\.qcow2: guest "writer" cannot open it for writing: guest "g0" \(as the backing file of ov1\.qcow2\) has it open read-only/,
    );
    expect(refusal(() => openImage(overlays[1]!, { owner: 'guest "again"' }))).toMatch(/ov2\.qcow2: guest "again" cannot open it for writing: guest "g1"/);
  });

  it('snapshot mode reads its base: many snapshots of one disk are fine, a writer of it is not', () => {
    const disk = raw('snap-base.img');
    opened(openSnapshot(disk, 'a'));
    opened(openSnapshot(disk, 'b'));
    expect(refusal(() => openImage(disk, { owner: 'guest "c"' }))).toMatch(
      /snap-base\.img: guest "c" cannot open it for writing: guest "a" \(as the backing file of a\.snapshot\.qcow2\) has it open read-only/,
    );
  });
});

/** Waits until another process holds QEMU's "write" permission byte on `file`. */
async function untilWriteLocked(file: string, child: ChildProcess): Promise<void> {
  const fd = openSync(file, 'r');
  try {
    for (let i = 0; i < 200; i++) {
      if (byteLockedByOthers(fd, 101)) return;
      if (child.exitCode !== null) throw new Error(`the QEMU process exited (${child.exitCode}) before locking ${file}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no process locked ${file} within 10 s`);
  } finally {
    closeSync(fd);
  }
}

async function stopped(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

describe(`across processes, with QEMU's lock bytes${NEEDS_QEMU}`, () => {
  it.skipIf(!HAVE_QEMU)('hvlab refuses an image that qemu-io has open for writing, and opens it after qemu-io exits', async () => {
    const file = raw('qemu-io-holds.img');
    const child = spawn(QEMU_IO!, ['-f', 'raw', file], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      await untilWriteLocked(file, child);
      // qemu-io's own block backend shares writes; it holds the write permission, which hvlab does not share.
      expect(refusal(() => openImage(file, { owner: 'guest "a"' }))).toBe(
        `${file}: guest "a" cannot open it for writing: another process (QEMU or another hv) is using it: it holds the "write" permission; an image can have several readers, or one writer and no other user`,
      );
      expect(refusal(() => openImage(file, { owner: 'guest "r"', readOnly: true }))).toMatch(/guest "r" cannot open it read-only: another process .* it holds the "write" permission/);
    } finally {
      child.stdin!.end();
      await stopped(child);
    }
    opened(openImage(file, { owner: 'guest "a"' }));
  });

  it.skipIf(!QEMU_SYSTEM)('hvlab refuses an image a qemu-system-arm drive has open', async () => {
    const file = raw('qemu-system-holds.img');
    // mps2-an386 has no disk controller: the virt board's virtio-blk is a real writer of the drive.
    const drive = ['-drive', `if=none,id=d0,format=raw,file=${file}`, '-device', 'virtio-blk-device,drive=d0'];
    const args = ['-M', 'virt', '-S', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-nic', 'none', ...drive];
    const child = spawn(QEMU_SYSTEM!, args, { stdio: 'ignore' });
    try {
      await untilWriteLocked(file, child);
      expect(refusal(() => openImage(file, { owner: 'guest "a"' }))).toMatch(/guest "a" cannot open it for writing: another process .* it does not share the "write" permission/);
      expect(refusal(() => openImage(file, { owner: 'guest "r"', readOnly: true }))).toMatch(/guest "r" cannot open it read-only: another process .* it holds the "write" permission/);
    } finally {
      await stopped(child);
    }
  });

  it.skipIf(!HAVE_QEMU)('qemu-io and qemu-img refuse an image hvlab writes; a base hvlab reads refuses only writers', () => {
    const base = join(dir(), 'held-base.qcow2');
    const overlay = join(dir(), 'held-overlay.qcow2');
    createQcow2(base, { size: 1 << 20 });
    createQcow2(overlay, { backing: base });
    opened(openImage(overlay, { owner: 'guest "a"' }));
    const tool = (program: string, args: string[]) => spawnSync(program, args, { encoding: 'utf8' });
    const write = tool(QEMU_IO!, ['-f', 'qcow2', '-c', 'write 0 512', overlay]);
    expect(write.status).toBe(1);
    expect(write.stderr).toContain('Failed to get "write" lock');
    const check = tool(QEMU_IMG!, ['check', overlay]);
    expect(check.stderr).toContain('Failed to get shared "write" lock');
    const baseWrite = tool(QEMU_IO!, ['-f', 'qcow2', '-c', 'write 0 512', base]);
    expect(baseWrite.status).toBe(1);
    expect(baseWrite.stderr).toContain('Failed to get "write" lock');
    const baseRead = tool(QEMU_IO!, ['-r', '-f', 'qcow2', '-c', 'read 0 512', base]);
    expect(baseRead.status, baseRead.stderr).toBe(0);
  });

  it.skipIf(!QEMU_SYSTEM)('qemu-system-arm refuses to start on an image hvlab writes', () => {
    const file = raw('hvlab-holds.img');
    opened(openImage(file, { owner: 'guest "a"' }));
    const drive = ['-drive', `if=none,id=d0,format=raw,file=${file}`, '-device', 'virtio-blk-device,drive=d0'];
    const args = ['-M', 'virt', '-S', '-display', 'none', '-monitor', 'none', '-serial', 'none', '-nic', 'none', ...drive];
    const r = spawnSync(QEMU_SYSTEM!, args, { encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain('Failed to get "write" lock');
  });
});
