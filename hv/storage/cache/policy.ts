/**
 * The replacement-policy interface shared by the block cache and the simulator. A policy only
 * decides which block keys are resident; the data lives elsewhere (BlockCache's cache memory, or
 * nowhere in the simulator). Every operation is O(1).
 *
 * Protocol, per block read: `lookup(key, now)`; on a miss the caller reads the block and calls
 * `admit(key, now, references)`, which returns the key it evicted to make room (or NO_KEY) so
 * that the caller can free (and, when dirty, write back) that block's cache memory.
 */
import type { BlockKey } from './key.ts';

export const POLICY_NAMES = ['lru', 'arc', 's3fifo', 'sieve', 'lirs', 'layered'] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

/** Smallest capacity every policy supports (the layered policy needs a block per layer). */
export const MIN_CAPACITY = 8;

/**
 * Largest capacity: 2^24 blocks (64 GiB of 4 KiB blocks). The policies preallocate their metadata,
 * 20 to 100 bytes per block and as much again for ghosts, so this is already gigabytes; a larger
 * request is refused with a clear error rather than failing inside an allocation.
 */
export const MAX_CAPACITY = 2 ** 24;

/** One internal list of a policy (an LRU layer, a FIFO queue, ...), for reports. */
export interface LayerStats {
  /** Short name: `L0`..`Ln` for the layered policy, `T1`/`T2`, `S`/`M`, `lru`. */
  readonly name: string;
  /** Blocks resident in it now. */
  readonly blocks: number;
  /** Its target or maximum size in blocks. */
  readonly capacity: number;
  /** Read hits served from it since construction. */
  readonly hits: number;
}

/** The policies the simulator knows: the online ones and Belady's offline MIN (the bound). */
export type SimPolicyName = PolicyName | 'min';

export interface CachePolicy {
  readonly name: SimPolicyName;
  /** Maximum resident blocks. */
  readonly capacity: number;
  /** Resident blocks now. */
  readonly size: number;
  /**
   * A read of `key` at virtual time `now` (cycles; only differences matter): true on a hit,
   * and the policy records the access. A miss changes nothing; call admit() next.
   */
  lookup(key: BlockKey, now: number): boolean;
  /** Whether `key` is resident, without counting an access. */
  contains(key: BlockKey): boolean;
  /**
   * Makes a missed `key` resident. `references` is how many image files (VM disks) reference
   * the block; only the layered policy uses it. Returns the key evicted to make room, or NO_KEY.
   * The key must not be resident.
   */
  admit(key: BlockKey, now: number, references: number): BlockKey;
  /** Drops a resident key without keeping history (invalidation); false when not resident. */
  remove(key: BlockKey): boolean;
  /** The number of image files referencing `key` changed (an overlay stopped sharing it). */
  setReferences(key: BlockKey, references: number): void;
  /** Calls `visit` with every resident key (in no particular order; ghosts excluded). */
  forEachResident(visit: (key: BlockKey) => void): void;
  /** The policy's internal lists with occupancy and hits, top (hottest) first. */
  layers(): LayerStats[];
  /** Bytes of metadata the policy preallocated (its arrays), for the memory report. */
  readonly metadataBytes: number;
}
