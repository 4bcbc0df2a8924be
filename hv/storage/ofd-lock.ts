/**
 * Byte-range locks on an open file description (Linux `fcntl` F_OFD_SETLK / F_OFD_GETLK) through
 * libc and koffi: the locks QEMU takes on image files. An OFD lock belongs to the open file (not
 * to the process), so two opens of one file conflict even inside one process, and closing the
 * descriptor drops its locks. Where libc or OFD locks are unavailable (another OS, a file system
 * without lock support), locking is skipped, as QEMU's `locking=auto` does.
 */
import koffi from 'koffi';

const F_OFD_GETLK = 36;
const F_OFD_SETLK = 37;
const F_RDLCK = 0;
const F_WRLCK = 1;
const F_UNLCK = 2;
const SEEK_SET = 0;
/** `struct flock` on 64-bit Linux: l_type, l_whence (short), l_start, l_len (off_t), l_pid. */
const FLOCK_BYTES = 32;
const L_TYPE = 0;
const L_WHENCE = 2;
const L_START = 8;
const L_LEN = 16;
/** The errors that mean "somebody else holds a conflicting lock". */
const EAGAIN = 11;
const EACCES = 13;

type Fcntl = (fd: number, cmd: number, type: string, lock: Buffer) => number;

let fcntl: Fcntl | null | undefined;

/** libc's variadic fcntl, or null when it cannot be bound (then there is no cross-process locking). */
function libcFcntl(): Fcntl | null {
  if (fcntl !== undefined) return fcntl;
  try {
    if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) throw new Error('no OFD locks');
    fcntl = koffi.load('libc.so.6').func('int fcntl(int fd, int cmd, ...)') as unknown as Fcntl;
  } catch {
    fcntl = null;
  }
  return fcntl;
}

function flock(type: number, offset: number): Buffer {
  const lock = Buffer.alloc(FLOCK_BYTES);
  lock.writeInt16LE(type, L_TYPE);
  lock.writeInt16LE(SEEK_SET, L_WHENCE);
  lock.writeBigInt64LE(BigInt(offset), L_START);
  lock.writeBigInt64LE(1n, L_LEN);
  return lock;
}

export type LockResult = 'locked' | 'conflict' | 'unsupported';

/** Takes a shared (read) lock on byte `offset` of `fd`. */
export function lockByte(fd: number, offset: number): LockResult {
  const call = libcFcntl();
  if (!call) return 'unsupported';
  if (call(fd, F_OFD_SETLK, 'void *', flock(F_RDLCK, offset)) === 0) return 'locked';
  const errno = koffi.errno();
  return errno === EAGAIN || errno === EACCES ? 'conflict' : 'unsupported';
}

/** True when another open file description holds any lock on byte `offset` of the file. */
export function byteLockedByOthers(fd: number, offset: number): boolean {
  const call = libcFcntl();
  if (!call) return false;
  const lock = flock(F_WRLCK, offset);
  if (call(fd, F_OFD_GETLK, 'void *', lock) !== 0) return false;
  return lock.readInt16LE(L_TYPE) !== F_UNLCK;
}
