/**
 * Samples ranks 0..n-1 with Zipf popularity P(k) proportional to 1/(k+1)^alpha, by binary search
 * in the cumulative distribution (O(log n) per draw, exact for any alpha >= 0), and maps ranks to
 * blocks through a seeded permutation so that popular blocks are scattered over the image.
 */
import type { Prng } from '../prng.ts';

export class ZipfSampler {
  private readonly cdf: Float64Array;
  private readonly blocks: Uint32Array;

  constructor(
    readonly n: number,
    readonly alpha: number,
    rng: Prng,
  ) {
    this.cdf = new Float64Array(n);
    let sum = 0;
    for (let k = 0; k < n; k++) {
      sum += 1 / (k + 1) ** alpha;
      this.cdf[k] = sum;
    }
    for (let k = 0; k < n; k++) this.cdf[k]! /= sum;
    this.blocks = new Uint32Array(n);
    for (let i = 0; i < n; i++) this.blocks[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = rng.below(i + 1);
      const t = this.blocks[i]!;
      this.blocks[i] = this.blocks[j]!;
      this.blocks[j] = t;
    }
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
