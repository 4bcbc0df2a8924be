/**
 * Host memory that backs guest RAM, allocated natively so that several engines can map the same
 * bytes (uc_mem_map_ptr): a board's mirrors, and the in-context driver engines that see a
 * caller's RAM. Reference-counted: it is freed when the last engine that maps it closes.
 */
import koffi from 'koffi';

const PAGE = 4096n;

export class HostMemory {
  readonly address: bigint;
  readonly bytes: Uint8Array;
  private readonly raw: bigint;
  private refs = 0;

  constructor(readonly size: number) {
    this.raw = koffi.alloc('uint8_t', size + Number(PAGE)) as bigint;
    this.address = (this.raw + PAGE - 1n) & ~(PAGE - 1n);
    this.bytes = new Uint8Array(koffi.view(this.address, size));
    this.bytes.fill(0);
  }

  retain(): void {
    this.refs++;
  }

  release(): void {
    if (--this.refs === 0) koffi.free(this.raw);
  }
}
