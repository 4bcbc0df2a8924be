/**
 * Data Watchpoint and Trace unit, cycle counter only (ARMv7-M ARM C1.8), at 0xE0001000:
 *   0x000 DWT_CTRL   NUMCOMP = 0 (no comparators), CYCCNTENA (bit 0)
 *   0x004 DWT_CYCCNT counts virtual processor cycles while CYCCNTENA and DEMCR.TRCENA are set
 * QEMU models no DWT (CYCCNT reads 0); hvlab counts cycles because cycle-level experiments need a
 * guest-visible cycle counter. Other DWT registers read as zero.
 */
import type { VirtualTime } from '../../time/virtual-time.ts';

/** Register offsets from 0xE0001000 (ARMv7-M ARM C1.8: DWT_CTRL, DWT_CYCCNT). */
export const DWT_REG = { CTRL: 0x000, CYCCNT: 0x004 } as const;

const CTRL_CYCCNTENA = 1;

export class Dwt {
  private ctrl = 0;
  private anchorTime = 0;
  private anchorCount = 0;

  constructor(
    private readonly time: VirtualTime,
    private readonly traceEnabled: () => boolean,
  ) {}

  reset(): void {
    this.ctrl = 0;
    this.anchorCount = 0;
    this.anchorTime = this.time.now();
  }

  saveState(): { ctrl: number; anchorTime: number; anchorCount: number } {
    return { ctrl: this.ctrl, anchorTime: this.anchorTime, anchorCount: this.anchorCount };
  }

  restoreState(s: ReturnType<Dwt['saveState']>): void {
    ({ ctrl: this.ctrl, anchorTime: this.anchorTime, anchorCount: this.anchorCount } = s);
  }

  read(offset: number): number {
    if (offset === DWT_REG.CTRL) return this.ctrl;
    if (offset === DWT_REG.CYCCNT) return this.cycleCount();
    return 0;
  }

  write(offset: number, value: number): void {
    if (offset === DWT_REG.CTRL) {
      this.freeze();
      this.ctrl = value & CTRL_CYCCNTENA;
    } else if (offset === DWT_REG.CYCCNT) {
      this.anchorCount = value >>> 0;
      this.anchorTime = this.time.now();
    }
  }

  private counting(): boolean {
    return (this.ctrl & CTRL_CYCCNTENA) !== 0 && this.traceEnabled();
  }

  private cycleCount(): number {
    if (!this.counting()) return this.anchorCount;
    return (this.anchorCount + (this.time.now() - this.anchorTime)) >>> 0;
  }

  /** Captures the count so far (before a change of CTRL or DEMCR.TRCENA). */
  freeze(): void {
    this.anchorCount = this.cycleCount();
    this.anchorTime = this.time.now();
  }
}
