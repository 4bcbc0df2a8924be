/**
 * Host memory that backs guest RAM, allocated natively so that several engines can map the same
 * bytes (uc_mem_map_ptr): a board's mirrors, the in-context driver engines that see a caller's
 * RAM, and the instruction counter's execute aliases. It is an anonymous private mmap: the
 * kernel hands out zeroed pages on first touch, so a guest costs the host only the pages it
 * uses (a 4 MiB SRAM that the guest touches 8 KiB of costs 8 KiB). Reference-counted: unmapped
 * when the last engine that maps it closes.
 */
import koffi from 'koffi';
import { NativeLibraryError } from '../errors.ts';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;
const MAP_FAILED = 2n ** 64n - 1n;

function declare() {
  const libc = koffi.load('libc.so.6');
  return {
    mmap: libc.func('uintptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, intptr_t offset)'),
    munmap: libc.func('int munmap(uintptr_t addr, size_t length)'),
  };
}

const CACHE_KEY = Symbol.for('hvlab.unicorn.libc-mmap');

function libc(): ReturnType<typeof declare> {
  const store = globalThis as unknown as Record<symbol, ReturnType<typeof declare> | undefined>;
  return (store[CACHE_KEY] ??= declare());
}

export class HostMemory {
  readonly address: bigint;
  private view: Uint8Array | undefined;
  private refs = 0;

  constructor(readonly size: number) {
    const flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
    const address = BigInt(libc().mmap(0, size, PROT_READ | PROT_WRITE, flags, -1, 0) as number | bigint);
    if (address === MAP_FAILED || address === 0n) throw new NativeLibraryError(`cannot reserve ${size} bytes of guest memory`);
    this.address = address;
  }

  /** The bytes, zero until written (created on first use; reading touches pages). */
  get bytes(): Uint8Array {
    return (this.view ??= new Uint8Array(koffi.view(this.address, this.size)));
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0) libc().munmap(this.address, this.size);
  }
}
