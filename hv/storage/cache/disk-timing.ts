/**
 * The device cost model of the block cache and the simulator: what a read costs in CPU cycles
 * at the board's 25 MHz, on a miss (the storage device) and on a hit (copying from cache memory).
 * Every default cites its source; where no published figure exists the estimate and its
 * reasoning are given, as in hv/time/cost-model.ts.
 *
 * A device read of n sectors costs command + n * perSector (+ seek when it does not continue
 * where the previous device read ended). Flash has no seek; the parameter is there for traces of
 * rotating disks (the MSR Cambridge servers).
 */
export const CLOCK_HZ = 25_000_000;

export interface DiskTiming {
  readonly name: string;
  /** Per device command: command and response frames plus the card's access time. */
  readonly commandCycles: number;
  /** Per 512-byte sector transferred. */
  readonly perSectorCycles: number;
  /** Extra per command that does not continue the previous one (0 for flash). */
  readonly seekCycles: number;
  /** Per cache hit: hashing the key and updating the policy's lists. */
  readonly hitLookupCycles: number;
  /** Copying 32 bytes out of (or into) cache memory. */
  readonly copyCyclesPer32Bytes: number;
  readonly sources: Readonly<Record<string, string>>;
}

const HIT_SOURCES = {
  hitLookupCycles:
    'estimate: ~20 instructions (hash, one or two probes, four link updates) at 2 cycles per load/store (Cortex-M4 TRM DDI0439B table 3-1)',
  copyCyclesPer32Bytes: 'memcpy with LDM/STM of 8 registers: 1+8 cycles each (Cortex-M4 TRM DDI0439B table 3-1), 18 cycles per 32 bytes',
};

/** An SD card in SPI mode, SPI clock 25 MHz (the SD spec's default-speed maximum). */
export const SD_SPI: DiskTiming = {
  name: 'sd-spi',
  commandCycles: 6250,
  perSectorCycles: 4120,
  seekCycles: 0,
  hitLookupCycles: 40,
  copyCyclesPer32Bytes: 18,
  sources: {
    commandCycles:
      'estimate: 250 us per read command; SD Physical Layer Simplified Spec part 1 bounds the read access time at 100 ms, typical class-10 cards answer a random single-block read in 0.1-1 ms; the CMD17/18 frame and R1 response add ~16 bytes = 128 SPI clocks',
    perSectorCycles: 'start token + 512 data bytes + CRC16 = 515 bytes at 1 bit per SPI clock, SPI clock = core clock = 25 MHz: 4120 cycles',
    seekCycles: 'flash: no seek',
    ...HIT_SOURCES,
  },
};

/** An eMMC device on an 8-bit bus at 52 MHz (HS SDR), as on larger boards. */
export const EMMC: DiskTiming = {
  name: 'emmc',
  commandCycles: 2500,
  perSectorCycles: 250,
  seekCycles: 0,
  hitLookupCycles: 40,
  copyCyclesPer32Bytes: 18,
  sources: {
    commandCycles: 'estimate: 100 us random-read access time, typical of eMMC 4.5/5.0 parts (5-10 k random 4 KiB reads per second)',
    perSectorCycles: '8-bit bus at 52 MHz = 52 MB/s (JEDEC JESD84 HS SDR): 512 bytes in 9.9 us = 246 cycles, rounded up for CRC and gaps',
    seekCycles: 'flash: no seek',
    ...HIT_SOURCES,
  },
};

export const DISK_TIMINGS: Readonly<Record<string, DiskTiming>> = { 'sd-spi': SD_SPI, emmc: EMMC };

export interface DiskTimingOverrides {
  readonly commandCycles?: number | undefined;
  readonly perSectorCycles?: number | undefined;
  readonly seekCycles?: number | undefined;
}

/** A preset with some service-time parameters replaced; the replaced ones cite the user. */
export function customDiskTiming(base: DiskTiming, overrides: DiskTimingOverrides): DiskTiming {
  const given = Object.entries(overrides).filter(([, v]) => v !== undefined) as [keyof DiskTimingOverrides, number][];
  if (given.length === 0) return base;
  const timing: Record<string, unknown> = { ...base, name: `${base.name} (custom)`, sources: { ...base.sources } };
  for (const [key, value] of given) {
    timing[key] = value;
    (timing['sources'] as Record<string, string>)[key] = 'set in the system file';
  }
  return timing as unknown as DiskTiming;
}

export function copyCycles(timing: DiskTiming, bytes: number): number {
  return Math.ceil(bytes / 32) * timing.copyCyclesPer32Bytes;
}

/** Cycles of one device read of `sectors` sectors. */
export function deviceReadCycles(timing: DiskTiming, sectors: number, sequential: boolean): number {
  return timing.commandCycles + (sequential ? 0 : timing.seekCycles) + sectors * timing.perSectorCycles;
}

/**
 * The cost of one read request, block by block: hits cost a lookup and the copy of the bytes the
 * request wants; missed blocks that follow each other on the same image are fetched with one
 * multi-block device command (CMD18), then copied too. Blocks are named by (image id, block
 * index), so a run is sequential exactly when it continues the same image.
 */
export class ReadCostMeter {
  private cycles = 0;
  private runBlocks = 0;
  private runImage = -1;
  private runFirst = -2;
  private runLast = -2;
  /** Where the last device read ended (image, block), to tell sequential commands from seeks. */
  private deviceImage = -1;
  private deviceLast = -2;

  constructor(
    private readonly timing: DiskTiming,
    private readonly sectorsPerBlock: number,
  ) {}

  begin(): void {
    this.cycles = 0;
    this.runBlocks = 0;
  }

  hit(bytes: number): void {
    this.cycles += this.timing.hitLookupCycles + copyCycles(this.timing, bytes);
  }

  /** A missed block (image id `image`, index `block`) of which the request wants `bytes`. */
  miss(image: number, block: number, bytes: number): void {
    if (this.runBlocks > 0 && image === this.runImage && block === this.runLast + 1) {
      this.runBlocks++;
    } else {
      this.closeRun();
      this.runImage = image;
      this.runFirst = block;
      this.runBlocks = 1;
    }
    this.runLast = block;
    this.cycles += this.timing.hitLookupCycles + copyCycles(this.timing, bytes);
  }

  /**
   * Blocks first..last of `image` read around the cache in one device command (a request larger
   * than the cache): no lookups, `bytes` copied once. O(1) whatever the request's size.
   */
  bypass(image: number, first: number, last: number, bytes: number): void {
    this.closeRun();
    const sequential = image === this.deviceImage && first === this.deviceLast + 1;
    this.cycles += deviceReadCycles(this.timing, (last - first + 1) * this.sectorsPerBlock, sequential) + copyCycles(this.timing, bytes);
    this.deviceImage = image;
    this.deviceLast = last;
  }

  /** Ends the request; returns its cycles. */
  end(): number {
    this.closeRun();
    return this.cycles;
  }

  private closeRun(): void {
    if (this.runBlocks === 0) return;
    const sequential = this.runImage === this.deviceImage && this.runFirst === this.deviceLast + 1;
    this.cycles += deviceReadCycles(this.timing, this.runBlocks * this.sectorsPerBlock, sequential);
    this.deviceImage = this.runImage;
    this.deviceLast = this.runLast;
    this.runBlocks = 0;
  }
}
