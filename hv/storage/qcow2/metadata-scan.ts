/**
 * Read-write opens check the metadata before anything is allocated: every metadata cluster
 * (header, L1 table, refcount table and blocks, L2 tables) must be used once and have a nonzero
 * refcount. Otherwise the allocator could hand out a cluster that is still in use and a write
 * would overwrite metadata. Costs one pass over the L1 table and one refcount lookup per L2 table;
 * data clusters' refcounts are trusted, as QEMU does (`qemu-img check` verifies them).
 */
import type { ClusterAllocator } from './allocator.ts';
import type { ClusterMap } from './cluster-map.ts';
import type { Geometry } from './format.ts';
import { hex, type ImageFile } from './image-file.ts';
import type { Refcounts } from './refcounts.ts';

export function scanMetadata(file: ImageFile, g: Geometry, map: ClusterMap, refcounts: Refcounts, allocator: ClusterAllocator): void {
  const found = allocator.metadata;
  const add = (cluster: number, what: string): void => {
    const other = found.get(cluster);
    if (other) file.fail(`cluster ${hex(cluster * g.clusterSize)} is used both as the ${other} and as the ${what}`);
    found.set(cluster, what);
  };
  add(0, 'header');
  addRange(map.l1Offset, map.l1Size * 8, 'L1 table', g, add);
  addRange(refcounts.table.offset, refcounts.table.clusters * g.clusterSize, 'refcount table', g, add);
  refcounts.blockList.forEach((offset, i) => offset !== 0 && add(offset / g.clusterSize, `refcount block ${i}`));
  for (let i = 0; i < map.l1Size; i++) {
    const l2 = map.l2Offset(i);
    if (l2 !== 0) add(l2 / g.clusterSize, `L2 table of L1 entry ${i}`);
  }
  for (const [cluster, what] of found) {
    if (refcounts.get(cluster) === 0) file.fail(`refcount error: the ${what} at ${hex(cluster * g.clusterSize)} has refcount 0`);
  }
}

function addRange(offset: number, bytes: number, what: string, g: Geometry, add: (cluster: number, what: string) => void): void {
  const first = offset / g.clusterSize;
  const count = Math.ceil(bytes / g.clusterSize);
  for (let c = first; c < first + count; c++) add(c, what);
}
