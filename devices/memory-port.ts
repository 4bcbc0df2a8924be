/**
 * A view of one context's memory as a DMA engine or a device-side queue walker sees it: reads and
 * writes that fail (undefined, false) outside the memory the context may use, instead of throwing.
 */
export interface MemoryPort {
  /** Reads `length` bytes at `address`; undefined when the range is not allowed or not mapped. */
  read(address: number, length: number): Uint8Array | undefined;
  /** Writes `data` at `address`; false when the range is not allowed or not mapped. */
  write(address: number, data: Uint8Array): boolean;
}
