/**
 * A guest's exception budget: at most `entries` exception entries (tail-chains included) per
 * window of `window` cycles of its own virtual time (windows aligned at multiples of `window`).
 * Every entry costs the host an engine stop and restart and the exception model's work (some
 * microseconds, thousands of guest instructions' worth), so a guest with a SysTick reload of 1
 * would otherwise make the host spend hundreds of times more per virtual cycle than a guest that
 * computes, and slow every other guest down with it. Once the budget of a window is used up:
 *  - asynchronous exceptions (NMI, PendSV, SysTick, interrupts) stay pending but are held back:
 *    they neither preempt nor wake the CPU until the window ends;
 *  - a synchronous exception (a fault, SVC) past the budget is taken, and then the vCPU stalls
 *    (runs nothing, like a WFI that only the window's end wakes) until the window ends.
 * The guest is slowed down in virtual time, deterministically, and alone; its neighbours never
 * see it. The host hears of each window that ran out (the VM announces the first, counts all).
 */
import type { ScheduledEvent } from '../../time/event-queue.ts';
import type { VirtualTime } from '../../time/virtual-time.ts';
import type { ExceptionBudgetLimits } from '../cpu.ts';
import type { ExceptionState } from './exception-state.ts';
import { isSynchronous } from './exceptions.ts';

export interface ExceptionBudgetState {
  readonly window: number;
  readonly used: number;
  readonly stalling: boolean;
  readonly releaseAt: number | undefined;
}

export class ExceptionBudget {
  private window = -1;
  private used = 0;
  private release: ScheduledEvent | undefined;
  private stalling = false;

  constructor(
    private readonly time: VirtualTime,
    private readonly limits: ExceptionBudgetLimits | undefined,
    private readonly state: ExceptionState,
    /** A window's budget ran out at `at`; the window ends at `until`. */
    private readonly exhausted: (at: number, until: number) => void,
  ) {}

  /** True while the vCPU waits for the window to end (a synchronous exception past the budget). */
  get stalled(): boolean {
    return this.stalling;
  }

  /** Counts one exception entry of `exc`; holds or stalls when the budget is used up. */
  entered(exc: number): void {
    const limits = this.limits;
    if (!limits) return;
    const now = this.time.now();
    const window = Math.floor(now / limits.window);
    if (window !== this.window) {
      this.window = window;
      this.used = 0;
    }
    this.used++;
    if (this.used < limits.entries) return;
    const end = (window + 1) * limits.window;
    if (!this.release) this.hold(now, end);
    if (this.used > limits.entries && isSynchronous(exc)) this.stalling = true;
  }

  private hold(now: number, end: number): void {
    this.state.holdAsync = true;
    this.release = this.time.schedule(end, 'exception budget window', () => this.endWindow());
    this.exhausted(now, end);
  }

  /** The window counted, its entries, whether the vCPU stalls, and when the held window ends. */
  saveState(): ExceptionBudgetState {
    return { window: this.window, used: this.used, stalling: this.stalling, releaseAt: this.release?.at };
  }

  /** Re-creates the window's end at its saved time (the queue was emptied for the restore). */
  restoreState(s: ExceptionBudgetState): void {
    ({ window: this.window, used: this.used, stalling: this.stalling } = s);
    this.release = s.releaseAt === undefined ? undefined : this.time.schedule(s.releaseAt, 'exception budget window', () => this.endWindow());
  }

  private endWindow(): void {
    this.release = undefined;
    this.stalling = false;
    this.state.holdAsync = false;
    // What was held may preempt now.
    this.state.onPending?.();
  }
}
