/**
 * Writing one guest cluster. A cluster this image owns alone (refcount 1) is written in place.
 * Anything else (unallocated, zero, compressed, shared) gets a new host cluster holding the full
 * cluster: the old contents (from the backing chain, inflated, or zeros) with the new bytes
 * merged in, written before the L2 entry points at it. The old references are dropped after the
 * L2 change is on disk (allocator.ts), so an interruption never exposes half-written clusters.
 */
import type { ClusterAllocator } from './allocator.ts';
import type { ClusterMap } from './cluster-map.ts';
import { type ClusterEntry, encodeData } from './entries.ts';
import type { Geometry } from './format.ts';
import { hex, type ImageFile } from './image-file.ts';
import type { Refcounts } from './refcounts.ts';

export interface WriteContext {
  readonly file: ImageFile;
  readonly g: Geometry;
  readonly map: ClusterMap;
  readonly allocator: ClusterAllocator;
  readonly refcounts: Refcounts;
  /** Fills `dest` with what guest cluster `guestCluster` holds (the cluster's current contents). */
  readonly readCluster: (guestCluster: number, entry: ClusterEntry, dest: Buffer) => void;
}

/** Writes `piece` at byte `inCluster` of guest cluster `guestCluster`. */
export function writeGuestCluster(ctx: WriteContext, guestCluster: number, inCluster: number, piece: Uint8Array): void {
  const entry = ctx.map.entryForWrite(guestCluster, ctx.allocator, ctx.refcounts);
  if (entry.kind === 'data' && ownedAlone(ctx, entry)) {
    checkNotMetadata(ctx, entry.host, guestCluster);
    ctx.file.write(entry.host + inCluster, piece);
    if (!entry.copied) ctx.map.setEntry(guestCluster, encodeData(entry.host));
    return;
  }
  const full = Buffer.alloc(ctx.g.clusterSize);
  if (piece.length < ctx.g.clusterSize) ctx.readCluster(guestCluster, entry, full);
  full.set(piece, inCluster);
  // A preallocated zero cluster is reused; everything else moves to a fresh cluster.
  const reuse = entry.kind === 'zero' && entry.host !== 0 && ownedAlone(ctx, entry);
  const host = reuse ? entry.host : ctx.allocator.allocate();
  if (reuse) checkNotMetadata(ctx, host, guestCluster);
  ctx.file.write(host, full);
  ctx.map.setEntry(guestCluster, encodeData(host));
  if (!reuse) ctx.allocator.release(entry);
}

/** True when the host cluster has refcount one: the COPIED flag says so, or the refcount does. */
function ownedAlone(ctx: WriteContext, entry: { host: number; copied: boolean }): boolean {
  return entry.copied || ctx.refcounts.get(entry.host / ctx.g.clusterSize) === 1;
}

/** A data cluster that is also metadata means a corrupt L2 entry; writing would destroy the metadata. */
function checkNotMetadata(ctx: WriteContext, host: number, guestCluster: number): void {
  const holds = ctx.allocator.metadata.get(host / ctx.g.clusterSize);
  if (holds) {
    ctx.file.fail(`L2 entry for guest offset ${hex(guestCluster * ctx.g.clusterSize)} maps to host cluster ${hex(host)}, which holds the ${holds}`);
  }
}
