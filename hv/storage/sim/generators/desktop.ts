/**
 * One virtual desktop's I/O over a shared base image, for the VDI and linked-clone generators.
 * The mix follows Capo (M. Shamma, D. T. Meyer, J. Wires, M. Ivanova, N. C. Hutchinson, A.
 * Warfield, "Capo: Recapitulating Storage for Virtual Desktops", FAST 2011), who traced a
 * production VDI deployment for a week: 65% of operations are writes but 65% of bytes are reads
 * (so a read moves about 3.5 times the bytes of a write: reads average `readMeanBlocks` blocks,
 * writes one), and half the bytes written are rewritten within a day (a write goes back to one of
 * the VM's recent writes with probability `rewriteShare`, else appends to its data area). Where
 * reads go is not in those figures; the defaults assume most of them hit the shared base (binaries
 * and libraries, Zipf popularity) and the rest the desktop's own data, half of it recently written.
 *
 * Reads are split into runs by the file that holds each block: the VM's overlay for blocks it
 * wrote (copy-on-write), otherwise whatever `baseHolder` says (the base, or a newer base layer).
 */
import type { Prng } from '../prng.ts';
import type { TraceSink } from './trace-sink.ts';
import type { ZipfSampler } from './zipf-sampler.ts';

export interface DesktopMix {
  /** Share of requests that are reads. */
  readonly readRatio: number;
  /** Share of reads that go to the shared base. */
  readonly baseReadShare: number;
  /** Mean blocks per read (geometric), at most `maxRequestBlocks`. */
  readonly readMeanBlocks: number;
  readonly maxRequestBlocks: number;
  /** Share of writes that rewrite one of the VM's recent writes. */
  readonly rewriteShare: number;
  /** Share of writes that change a popular base block (copied into the overlay). */
  readonly baseWriteShare: number;
  /** Size of each VM's own data area in blocks. */
  readonly privateBlocks: number;
  /** How many recent writes a rewrite or a read-after-write picks from. */
  readonly recentWrites: number;
}

export const DESKTOP_MIX_DEFAULTS = {
  readRatio: 0.35,
  baseReadShare: 0.7,
  readMeanBlocks: 3.5,
  maxRequestBlocks: 16,
  rewriteShare: 0.5,
  baseWriteShare: 0.05,
  privateBlocks: 65_536,
  recentWrites: 4096,
} as const;

export class Desktop {
  /** Blocks this VM wrote into its current overlay. */
  private written = new Set<number>();
  private recent: number[] = [];
  private appendAt = 0;

  constructor(
    readonly name: string,
    private top: string,
    private readonly mix: DesktopMix,
    /** First block of the VM's data area (past the base). */
    private readonly privateStart: number,
    private baseHolder: (block: number) => string,
  ) {}

  /** A new, empty overlay (a recomposed linked clone), and what now holds the base blocks. */
  reset(top: string, baseHolder: (block: number) => string): void {
    this.top = top;
    this.baseHolder = baseHolder;
    this.written = new Set();
    this.recent = [];
    this.appendAt = 0;
  }

  /** One request at `timeUs`: a read or a write as the mix says. */
  step(timeUs: number, rng: Prng, popular: ZipfSampler, out: TraceSink, blockSize: number): void {
    if (rng.chance(this.mix.readRatio)) this.read(timeUs, rng, popular, out, blockSize);
    else this.write(timeUs, rng, popular, out, blockSize);
  }

  /** Reads `blocks` blocks from `first`, one record per run of blocks held by the same file. */
  readRange(timeUs: number, first: number, blocks: number, out: TraceSink, blockSize: number): void {
    let runStart = first;
    let holder = this.holderOf(first);
    for (let block = first + 1; block <= first + blocks; block++) {
      const next = block < first + blocks ? this.holderOf(block) : '';
      if (next === holder) continue;
      out.record(timeUs, this.name, false, holder, runStart * blockSize, (block - runStart) * blockSize);
      runStart = block;
      holder = next;
    }
  }

  private read(timeUs: number, rng: Prng, popular: ZipfSampler, out: TraceSink, blockSize: number): void {
    const blocks = Math.min(this.mix.maxRequestBlocks, rng.geometric(this.mix.readMeanBlocks));
    let first: number;
    if (rng.chance(this.mix.baseReadShare)) first = popular.next(rng);
    else if (this.recent.length > 0 && rng.chance(0.5)) first = this.recent[rng.below(this.recent.length)]!;
    else first = this.privateStart + ((popular.next(rng) * 7 + this.privateStart) % this.mix.privateBlocks);
    this.readRange(timeUs, first, blocks, out, blockSize);
  }

  private write(timeUs: number, rng: Prng, popular: ZipfSampler, out: TraceSink, blockSize: number): void {
    let block: number;
    const pick = rng.next();
    if (pick < this.mix.baseWriteShare) block = popular.next(rng);
    else if (pick < this.mix.baseWriteShare + this.mix.rewriteShare && this.recent.length > 0) block = this.recent[rng.below(this.recent.length)]!;
    else block = this.privateStart + (this.appendAt++ % this.mix.privateBlocks);
    this.written.add(block);
    if (this.recent.length < this.mix.recentWrites) this.recent.push(block);
    else this.recent[rng.below(this.mix.recentWrites)] = block;
    out.record(timeUs, this.name, true, this.top, block * blockSize, blockSize);
  }

  private holderOf(block: number): string {
    return this.written.has(block) || block >= this.privateStart ? this.top : this.baseHolder(block);
  }
}
