/**
 * Host cluster allocation. A new cluster is the first one at or after a moving hint whose
 * refcount is zero: inside the file that reuses freed clusters, past its end it appends.
 *
 * Two guards keep a wrong refcount from destroying data:
 * - clusters known to hold metadata (header, L1, refcount table and blocks, L2 tables) are never
 *   handed out; finding one with refcount zero is reported as a refcount error;
 * - references are dropped (refcounts decremented) only after the metadata that stopped pointing
 *   at the clusters is on disk (`applyDeferredFrees`, called by flush after L2 and L1): a crash
 *   can then only leak clusters, and a freed cluster is never reused while an on-disk L2 entry
 *   still shows it.
 *
 * A missing refcount block is created inside the range it describes (so it counts itself); a
 * full refcount table is replaced by a larger one written after the end of the used space
 * (refcount-growth.ts).
 */
import { compressedRange, type ClusterEntry } from './entries.ts';
import type { Geometry } from './format.ts';
import { hex, type ImageFile } from './image-file.ts';
import { growRefcountTable } from './refcount-growth.ts';
import type { Refcounts } from './refcounts.ts';

export class ClusterAllocator {
  /** First host cluster index that may be free. */
  private hint = 0;
  /** Clusters whose references were dropped in memory but not yet in on-disk L2/L1 tables. */
  private deferred: number[] = [];
  /** Host cluster index -> what metadata it holds. */
  readonly metadata = new Map<number, string>();

  constructor(
    private readonly file: ImageFile,
    private readonly g: Geometry,
    private readonly refcounts: Refcounts,
  ) {}

  /** Allocates one cluster (refcount 1) and returns its host offset; `what` names metadata uses. */
  allocate(what?: string): number {
    const cluster = this.findFree();
    this.ensureBlock(cluster);
    this.refcounts.set(cluster, 1);
    this.hint = cluster + 1;
    if (what) this.metadata.set(cluster, what);
    return cluster * this.g.clusterSize;
  }

  /** Drops the references an L2 entry held (the entry is being replaced); applied at flush. */
  release(entry: ClusterEntry): void {
    if (entry.kind === 'data' || (entry.kind === 'zero' && entry.host !== 0)) this.deferred.push(entry.host / this.g.clusterSize);
    if (entry.kind !== 'compressed') return;
    // A compressed cluster holds one reference to every host cluster its stream touches.
    const { start, end } = compressedRange(entry);
    const last = Math.floor((end - 1) / this.g.clusterSize);
    for (let c = Math.floor(start / this.g.clusterSize); c <= last; c++) this.deferred.push(c);
  }

  get hasDeferredFrees(): boolean {
    return this.deferred.length > 0;
  }

  /** The tables that stopped pointing at released clusters are on disk: drop the references. */
  applyDeferredFrees(): void {
    const clusters = this.deferred;
    this.deferred = [];
    for (const c of clusters) this.decrement(c);
  }

  private decrement(cluster: number): void {
    const count = this.refcounts.get(cluster);
    if (count === 0) this.file.fail(`refcount error: cluster ${hex(cluster * this.g.clusterSize)} is in use but its refcount is 0`);
    this.refcounts.set(cluster, count - 1);
    if (count === 1) {
      this.metadata.delete(cluster);
      this.hint = Math.min(this.hint, cluster);
    }
  }

  private findFree(): number {
    for (let c = this.hint; ; c++) {
      if (this.refcounts.get(c) !== 0) continue;
      const holds = this.metadata.get(c);
      if (holds) this.file.fail(`refcount error: cluster ${hex(c * this.g.clusterSize)} holds the ${holds} but its refcount is 0`);
      return c;
    }
  }

  private ensureBlock(cluster: number): void {
    const index = Math.floor(cluster / this.g.refcountsPerBlock);
    if (index >= this.refcounts.tableEntries) {
      growRefcountTable(this.file, this.g, this.refcounts, cluster, this);
    } else if (this.refcounts.blockOffset(index) === 0) {
      this.createBlock(index, cluster);
    }
  }

  /** A new block for range `index`, placed in that range so that it records its own refcount. */
  private createBlock(index: number, taken: number): void {
    const first = index * this.g.refcountsPerBlock;
    const end = first + this.g.refcountsPerBlock;
    for (let c = taken + 1; c !== taken; c = c + 1 === end ? first : c + 1) {
      if (this.metadata.has(c)) continue;
      this.refcounts.installBlock(index, c * this.g.clusterSize);
      this.refcounts.set(c, 1);
      this.metadata.set(c, 'refcount block');
      return;
    }
    this.file.fail(`refcount error: no free cluster for the refcount block of range ${index}`);
  }

  /** Called after a table replacement: the old table's clusters are freed, the new ones are metadata. */
  tableMoved(oldClusters: readonly number[], newMetadata: ReadonlyMap<number, string>): void {
    for (const c of oldClusters) {
      this.metadata.set(c, 'old refcount table');
      this.deferred.push(c);
    }
    for (const [c, what] of newMetadata) this.metadata.set(c, what);
  }
}
