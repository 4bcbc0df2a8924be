/**
 * Who may use a disk image file at the same time: any number of readers, or one writer and
 * nobody else. Without this, two guests writing one file each keep their own allocation state
 * and silently lose each other's writes, and a guest reading a base image that another guest
 * writes sees it change underneath.
 *
 * Files are identified by device and inode (a symlink, a hard link or another spelling of the
 * path is the same file). Every image of a backing chain is locked, the backing images as
 * readers. Two levels:
 * - in this process, a registry of open images names both users in the error;
 * - across processes, QEMU's own scheme (block/file-posix.c): shared OFD locks on byte 100 + p
 *   for each permission p held, and on byte 200 + p for each permission not shared with others;
 *   a user then checks that nobody else locks 200 + p for a permission it wants, or 100 + p for
 *   one it does not share. hvlab takes what QEMU's qcow2 and raw drivers take on their file:
 *   a writer holds consistent-read, write and resize; a reader holds consistent-read; both
 *   refuse to share write and resize. So `hv run` and `qemu-system-arm`, `qemu-io` or
 *   `qemu-img` refuse each other exactly as two QEMU processes do.
 */
import { fstatSync } from 'node:fs';
import { ImageLockError } from '../errors.ts';
import { byteLockedByOthers, lockByte } from './ofd-lock.ts';

export type LockMode = 'read' | 'write';

/** QEMU's permission bits (include/block/block-common.h); each has one lock byte per base. */
const PERM = { 'consistent read': 0, write: 1, resize: 3 } as const;
type PermName = keyof typeof PERM;
/** QEMU's lock byte bases (libvirt owns byte 0). */
const PERM_BASE = 100;
const SHARED_BASE = 200;

const HELD: Record<LockMode, readonly PermName[]> = {
  read: ['consistent read'],
  write: ['consistent read', 'write', 'resize'],
};
/** Neither kind of user lets anybody else write or resize the file. */
const UNSHARED: readonly PermName[] = ['write', 'resize'];

interface Holder {
  readonly mode: LockMode;
  readonly owner: string;
  readonly path: string;
}

/** Open images of this process by device:inode. */
const holders = new Map<string, Holder[]>();

/** A held lock; release it before closing the descriptor. */
export interface ImageLock {
  release(): void;
}

/**
 * Locks the image open on `fd` for `mode`, or throws an ImageLockError naming `owner` (e.g.
 * `guest "a"`) and whoever holds the image. `path` names the file in the message.
 */
export function lockImage(fd: number, path: string, mode: LockMode, owner: string): ImageLock {
  const stats = fstatSync(fd, { bigint: true });
  const key = `${stats.dev}:${stats.ino}`;
  const users = holders.get(key) ?? [];
  const clash = users.find((h) => mode === 'write' || h.mode === 'write');
  if (clash) throw new ImageLockError(`${path}: ${owner} cannot open it ${modeText(mode)}: ${clash.owner} has it open ${modeText(clash.mode)}${clash.path === path ? '' : ` (as ${clash.path})`}; ${RULE}`);
  lockAcrossProcesses(fd, path, mode, owner);
  const holder = { mode, owner, path };
  holders.set(key, [...users, holder]);
  return { release: () => release(key, holder) };
}

const RULE = 'an image can have several readers, or one writer and no other user';

function modeText(mode: LockMode): string {
  return mode === 'write' ? 'for writing' : 'read-only';
}

function release(key: string, holder: Holder): void {
  const rest = (holders.get(key) ?? []).filter((h) => h !== holder);
  if (rest.length > 0) holders.set(key, rest);
  else holders.delete(key);
}

function lockAcrossProcesses(fd: number, path: string, mode: LockMode, owner: string): void {
  const bytes = [...HELD[mode].map((p) => PERM_BASE + PERM[p]), ...UNSHARED.map((p) => SHARED_BASE + PERM[p])];
  for (const offset of bytes) {
    const result = lockByte(fd, offset);
    // No OFD locks here (or a file system without them): the in-process registry still holds.
    if (result === 'unsupported') return;
    if (result === 'conflict') throw lockedElsewhere(path, mode, owner, `byte ${offset} is locked exclusively`);
  }
  for (const perm of HELD[mode]) {
    if (byteLockedByOthers(fd, SHARED_BASE + PERM[perm])) throw lockedElsewhere(path, mode, owner, `it does not share the "${perm}" permission`);
  }
  for (const perm of UNSHARED) {
    if (byteLockedByOthers(fd, PERM_BASE + PERM[perm])) throw lockedElsewhere(path, mode, owner, `it holds the "${perm}" permission`);
  }
}

function lockedElsewhere(path: string, mode: LockMode, owner: string, why: string): ImageLockError {
  return new ImageLockError(`${path}: ${owner} cannot open it ${modeText(mode)}: another process (QEMU or another hv) is using it: ${why}; ${RULE}`);
}
