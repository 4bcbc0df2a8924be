/**
 * The virtual clock of one emulated physical core: integer cycles that only ever move forward.
 * It is the single owner of a core's time; the run loop advances it by what the core spent
 * (guest instructions, hypervisor work, idle time) and a vCPU placed on the core reads it
 * between its steps.
 */
import { InternalError } from '../errors.ts';

export class CoreClock {
  private cycles = 0;

  constructor(readonly index: number) {}

  get now(): number {
    return this.cycles;
  }

  /** The core spent `cycles` more cycles. */
  advance(cycles: number): void {
    if (!(cycles >= 0)) throw new InternalError(`core ${this.index}: clock advanced by ${cycles} cycles`);
    this.cycles += cycles;
  }

  /** Sets the clock to a checkpoint's time (restore only: a booted core is at 0). */
  restore(cycles: number): void {
    this.cycles = cycles;
  }

  /** Moves the clock forward to `t` (never back); returns the cycles it moved. */
  advanceTo(t: number): number {
    if (t <= this.cycles) return 0;
    const moved = t - this.cycles;
    this.cycles = t;
    return moved;
  }
}
