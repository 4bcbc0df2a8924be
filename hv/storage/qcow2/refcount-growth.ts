/**
 * Replacing a full refcount table with a larger one. The new table and the refcount blocks for
 * every new range are placed right after the cluster being allocated (everything past the old
 * table's reach has refcount zero), sized so that they also describe themselves.
 *
 * Order on disk (each step durable before the next, so an interruption leaves either the old
 * table or the complete new one, at worst with leaked clusters):
 *   1. dirty refcount blocks (the new table points at them),
 *   2. the new refcount blocks and the new table,
 *   3. the header's table offset and size (one 12-byte write),
 *   4. later, with the next flush: the old table's clusters, freed.
 */
import type { ClusterAllocator } from './allocator.ts';
import { type Geometry, HEADER_OFFSET, MAX_REFCOUNT_TABLE_BYTES } from './format.ts';
import type { ImageFile } from './image-file.ts';
import type { Refcounts } from './refcounts.ts';

interface GrowthLayout {
  /** First cluster of the new table. */
  readonly start: number;
  readonly tableClusters: number;
  /** New refcount blocks, for ranges oldEntries .. oldEntries + blocks - 1. */
  readonly blocks: number;
}

export function growRefcountTable(file: ImageFile, g: Geometry, refcounts: Refcounts, taken: number, allocator: ClusterAllocator): void {
  const oldEntries = refcounts.tableEntries;
  const oldTable = refcounts.table;
  const layout = planGrowth(g, oldEntries, oldTable.clusters, taken + 1);
  if (layout.tableClusters * g.clusterSize > MAX_REFCOUNT_TABLE_BYTES) {
    file.fail(`image too large: the refcount table would exceed ${MAX_REFCOUNT_TABLE_BYTES} bytes`);
  }
  const blockStart = layout.start + layout.tableClusters;
  const blockList = [...refcounts.blockList];
  const newBlocks = new Map<number, Buffer>();
  for (let k = 0; k < layout.blocks; k++) {
    const offset = (blockStart + k) * g.clusterSize;
    blockList[oldEntries + k] = offset;
    newBlocks.set(offset, Buffer.alloc(g.clusterSize));
  }
  const newMetadata = new Map<number, string>();
  for (let c = layout.start; c < blockStart + layout.blocks; c++) {
    const block = newBlocks.get(blockList[Math.floor(c / g.refcountsPerBlock)]!)!;
    refcounts.storeEntry(block, c % g.refcountsPerBlock, 1);
    newMetadata.set(c, c < blockStart ? 'refcount table' : 'refcount block');
  }
  const location = { offset: layout.start * g.clusterSize, clusters: layout.tableClusters };
  refcounts.writeBackBlocks();
  for (const [offset, data] of newBlocks) file.write(offset, data);
  file.write(location.offset, refcounts.encodeTable(blockList, location.clusters));
  file.sync();
  writeTableLocation(file, location);
  file.sync();
  refcounts.replaceTable(location, blockList, newBlocks);
  const oldClusters = Array.from({ length: oldTable.clusters }, (_, i) => oldTable.offset / g.clusterSize + i);
  allocator.tableMoved(oldClusters, newMetadata);
}

/** Smallest table and block count that cover the table, the blocks and `start` itself. */
function planGrowth(g: Geometry, oldEntries: number, oldClusters: number, start: number): GrowthLayout {
  let tableClusters = oldClusters;
  let blocks = 0;
  // Both counts only grow, by at most a few steps: the table and blocks are tiny next to the
  // space one block describes.
  for (;;) {
    const end = start + tableClusters + blocks;
    const lastRange = Math.floor((end - 1) / g.refcountsPerBlock);
    const needBlocks = lastRange - oldEntries + 1;
    const needTable = Math.max(oldClusters, Math.ceil(((lastRange + 1) * 8) / g.clusterSize));
    if (needBlocks === blocks && needTable === tableClusters) return { start, tableClusters, blocks };
    blocks = needBlocks;
    tableClusters = needTable;
  }
}

function writeTableLocation(file: ImageFile, location: { offset: number; clusters: number }): void {
  const field = Buffer.alloc(12);
  field.writeBigUInt64BE(BigInt(location.offset), 0);
  field.writeUInt32BE(location.clusters, 8);
  file.write(HEADER_OFFSET.refcountTableOffset, field);
}
