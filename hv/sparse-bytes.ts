/**
 * Mostly empty byte ranges (guest RAM, decode maps, disk images) as the runs of pages that are
 * not all zero: what a checkpoint stores of them. Comparing a page with zeros is one memcmp, and
 * a page of guest memory that was never written reads as zeros without being allocated.
 */

export interface SparseBytes {
  /** Length of the whole range in bytes. */
  readonly size: number;
  readonly pageSize: number;
  /** Runs of non-zero pages: [first page, their bytes]. */
  readonly runs: ReadonlyArray<readonly [number, Uint8Array]>;
}

const zeroPages = new Map<number, Buffer>();

function zeroPage(pageSize: number): Buffer {
  let page = zeroPages.get(pageSize);
  if (!page) zeroPages.set(pageSize, (page = Buffer.alloc(pageSize)));
  return page;
}

/** Whether page `index` of `bytes` holds any non-zero byte. */
function pageUsed(bytes: Uint8Array, index: number, pageSize: number): boolean {
  const start = index * pageSize;
  const length = Math.min(pageSize, bytes.length - start);
  const view = Buffer.from(bytes.buffer, bytes.byteOffset + start, length);
  return !view.equals(length === pageSize ? zeroPage(pageSize) : zeroPage(pageSize).subarray(0, length));
}

/** The non-zero pages of `bytes`, copied, in runs. */
export function sparseBytes(bytes: Uint8Array, pageSize = 4096): SparseBytes {
  const pages = Math.ceil(bytes.length / pageSize);
  const runs: Array<readonly [number, Uint8Array]> = [];
  for (let page = 0; page < pages; ) {
    if (!pageUsed(bytes, page, pageSize)) {
      page++;
      continue;
    }
    const first = page;
    while (page < pages && pageUsed(bytes, page, pageSize)) page++;
    runs.push([first, bytes.slice(first * pageSize, Math.min(bytes.length, page * pageSize))]);
  }
  return { size: bytes.length, pageSize, runs };
}

/** Makes `bytes` equal to what `saved` describes: its runs written, every other used page zeroed. */
export function restoreSparseBytes(bytes: Uint8Array, saved: SparseBytes): void {
  const { pageSize } = saved;
  const pages = Math.ceil(bytes.length / pageSize);
  const covered = new Uint8Array(pages);
  for (const [first, data] of saved.runs) {
    bytes.set(data, first * pageSize);
    covered.fill(1, first, first + Math.ceil(data.length / pageSize));
  }
  for (let page = 0; page < pages; page++) {
    if (!covered[page] && pageUsed(bytes, page, pageSize)) bytes.fill(0, page * pageSize, Math.min(bytes.length, (page + 1) * pageSize));
  }
}

/** The bytes `saved` describes, as one array of its size. */
export function denseBytes(saved: SparseBytes): Uint8Array {
  const out = new Uint8Array(saved.size);
  for (const [first, data] of saved.runs) out.set(data, first * saved.pageSize);
  return out;
}
