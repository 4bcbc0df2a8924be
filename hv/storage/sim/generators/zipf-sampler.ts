/**
 * Samples ranks 0..n-1 with Zipf popularity P(k) proportional to 1/(k+1)^alpha, by binary search
 * in the cumulative distribution (O(log n) per draw, exact for any alpha >= 0), and maps ranks to
 * blocks through a seeded permutation so that popular blocks are scattered. With a `universe`
 * larger than n, the n blocks are 16-block extents (files) placed at random over a disk of
 * `universe` blocks: neighbours of a popular block are used blocks too, as in a real file system.
 */
import type { Prng } from '../prng.ts';

const EXTENT = 16;

export class ZipfSampler {
  private readonly cdf: Float64Array;
  private readonly blocks: Uint32Array;

  constructor(
    readonly n: number,
    readonly alpha: number,
    rng: Prng,
    universe = n,
  ) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += 1 / (k + 1) ** alpha;
      this.cdf[k] = sum;
    }
    for (let k = 0; k < n; k++) this.cdf[k]! /= sum;
    this.blocks = placement(n, universe, rng);
    shuffle(this.blocks, rng);
  }

  /** The block of popularity rank `rank` (0 = most popular). */
  block(rank: number): number {
    return this.blocks[rank]!;
  }

  /** A block index drawn with Zipf popularity. */
  next(rng: Prng): number {
    const u = rng.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return this.blocks[lo]!;
  }
}

/** The n used blocks: 0..n-1, or 16-block extents at random places among `universe` blocks. */
function placement(n: number, universe: number, rng: Prng): Uint32Array {
  const blocks = new Uint32Array(n);
  const slots = Math.floor(universe / EXTENT);
  const extents = Math.ceil(n / EXTENT);
  if (universe <= n || slots < extents) {
    for (let i = 0; i < n; i++) blocks[i] = i;
    return blocks;
  }
  // A partial Fisher-Yates shuffle of the extent slots picks `extents` distinct ones.
  const chosen = new Map<number, number>();
  for (let e = 0; e < extents; e++) {
    const j = e + rng.below(slots - e);
    const slot = chosen.get(j) ?? j;
    chosen.set(j, chosen.get(e) ?? e);
    for (let b = 0; b < EXTENT && e * EXTENT + b < n; b++) blocks[e * EXTENT + b] = slot * EXTENT + b;
  }
  return blocks;
}

function shuffle(blocks: Uint32Array, rng: Prng): void {
  for (let i = blocks.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    const t = blocks[i]!;
    blocks[i] = blocks[j]!;
    blocks[j] = t;
  }
}
