/**
 * The priority logic of the ARMv7-M NVIC for every exception (system exceptions and external
 * interrupts): enable, pending, active, priority, interrupt line levels, priority grouping, and
 * the execution priority with PRIMASK, FAULTMASK and BASEPRI (ARMv7-M ARM B1.5.4-B1.5.6). Pure
 * state, no engine: the register files and the exception unit drive it.
 */
import { EXC, isSynchronous } from './exceptions.ts';

/** Execution priority when nothing is active and no mask is set (lower value = higher priority). */
export const NO_PRIORITY_LIMIT = 256;

export interface MaskRegisters {
  primask: number;
  faultmask: number;
  basepri: number;
}

/** Every exception's enable, pending, active, priority and line level, and PRIGROUP (a checkpoint). */
export interface ExceptionStateData {
  readonly enabled: readonly boolean[];
  readonly pending: readonly boolean[];
  readonly active: readonly boolean[];
  readonly priority: readonly number[];
  readonly level: readonly boolean[];
  readonly prigroup: number;
  /** The exception budget holds asynchronous exceptions back. */
  readonly holdAsync: boolean;
}

export class ExceptionState {
  readonly count: number;
  readonly enabled: boolean[];
  readonly pending: boolean[];
  readonly active: boolean[];
  /** Raw 8-bit priority of configurable exceptions; fixed negatives for Reset, NMI, HardFault. */
  readonly priority: number[];
  readonly level: boolean[];
  prigroup = 0;
  /** Called when an exception becomes pending (the vCPU re-checks preemption at once). */
  onPending: (() => void) | undefined;
  /** Called when an exception stops being pending (taken or cleared). */
  onPendingCleared: ((exc: number) => void) | undefined;
  /**
   * Asynchronous exceptions (NMI, PendSV, SysTick, interrupts) are held back by the hypervisor
   * (the guest used up its exception budget): they stay pending, as ICSR and the NVIC show, but
   * do not preempt or wake the CPU until this is cleared.
   */
  holdAsync = false;
  private readonly priorityMask: number;

  constructor(
    readonly irqCount: number,
    readonly priorityBits: number,
  ) {
    this.count = EXC.IRQ0 + irqCount;
    this.enabled = new Array<boolean>(this.count).fill(false);
    this.pending = new Array<boolean>(this.count).fill(false);
    this.active = new Array<boolean>(this.count).fill(false);
    this.priority = new Array<number>(this.count).fill(0);
    this.level = new Array<boolean>(this.count).fill(false);
    this.priorityMask = (0xff << (8 - priorityBits)) & 0xff;
    this.reset();
  }

  reset(): void {
    this.enabled.fill(false);
    this.pending.fill(false);
    this.active.fill(false);
    this.priority.fill(0);
    this.level.fill(false);
    this.prigroup = 0;
    this.priority[EXC.RESET] = -3;
    this.priority[EXC.NMI] = -2;
    this.priority[EXC.HARD_FAULT] = -1;
    for (const exc of [EXC.NMI, EXC.HARD_FAULT, EXC.SVCALL, EXC.PENDSV, EXC.SYSTICK]) this.enabled[exc] = true;
  }

  saveState(): ExceptionStateData {
    const { enabled, pending, active, priority, level, prigroup, holdAsync } = this;
    return { enabled: [...enabled], pending: [...pending], active: [...active], priority: [...priority], level: [...level], prigroup, holdAsync };
  }

  restoreState(s: ExceptionStateData): void {
    for (const key of ['enabled', 'pending', 'active', 'priority', 'level'] as const) (this[key] as unknown[]).splice(0, this.count, ...s[key]);
    this.prigroup = s.prigroup;
    this.holdAsync = s.holdAsync;
  }

  isValid(exc: number): boolean {
    return exc >= EXC.NMI && exc < this.count;
  }

  /** Stores a raw priority as the NVIC would (unimplemented low bits read as zero). */
  setPriority(exc: number, value: number): void {
    if (exc <= EXC.HARD_FAULT || exc >= this.count) return;
    this.priority[exc] = value & this.priorityMask;
  }

  /** Group (preemption) priority of an exception under the current PRIGROUP. */
  groupPriority(exc: number): number {
    const p = this.priority[exc]!;
    if (p < 0) return p;
    return p & this.groupMask();
  }

  groupMask(): number {
    return (0xff << (this.prigroup + 1)) & 0xff;
  }

  /** Priority of the highest active exception (or {@link NO_PRIORITY_LIMIT}). */
  activePriority(): number {
    let best = NO_PRIORITY_LIMIT;
    // A builtin search skips to the first active one (usually none, or one): this runs every step.
    const first = this.active.indexOf(true, 1);
    if (first < 0) return best;
    for (let exc = first; exc < this.count; exc++) {
      if (this.active[exc]) best = Math.min(best, this.groupPriority(exc));
    }
    return best;
  }

  /** The current execution priority, including the effect of the mask registers. */
  executionPriority(masks: MaskRegisters): number {
    let boost = NO_PRIORITY_LIMIT;
    if (masks.basepri & 0xff) boost = masks.basepri & this.groupMask();
    if (masks.primask & 1) boost = 0;
    if (masks.faultmask & 1) boost = -1;
    return Math.min(this.activePriority(), boost);
  }

  /**
   * The pending, enabled exception with the highest priority (group, then subpriority, then
   * lowest number), or 0 when none is pending.
   */
  highestPending(): number {
    let best = 0;
    const first = this.pending.indexOf(true, 2); // usually none pending: see activePriority
    if (first < 0) return best;
    for (let exc = first; exc < this.count; exc++) {
      if (!this.pending[exc] || !this.enabled[exc]) continue;
      if (best === 0 || this.outranks(exc, best)) best = exc;
    }
    return best;
  }

  /** The exception that preempts execution at `executionPriority` now, or 0 (held exceptions never do). */
  preempting(executionPriority: number): number {
    const exc = this.holdAsync ? this.highestSynchronous() : this.highestPending();
    return exc !== 0 && this.groupPriority(exc) < executionPriority ? exc : 0;
  }

  /** Like highestPending(), among the synchronous exceptions only (faults, SVCall, DebugMonitor). */
  private highestSynchronous(): number {
    let best = 0;
    for (let exc = 2; exc < EXC.PENDSV; exc++) {
      if (!this.pending[exc] || !this.enabled[exc] || !isSynchronous(exc)) continue;
      if (best === 0 || this.outranks(exc, best)) best = exc;
    }
    return best;
  }

  /** True when some pending exception is enabled but held back by priority or masking. */
  hasMaskedPending(executionPriority: number): boolean {
    const exc = this.highestPending();
    return exc !== 0 && this.groupPriority(exc) >= executionPriority;
  }

  activeCount(): number {
    let n = 0;
    for (let exc = 1; exc < this.count; exc++) if (this.active[exc]) n++;
    return n;
  }

  setPending(exc: number): void {
    if (!this.isValid(exc) || this.pending[exc]) return;
    this.pending[exc] = true;
    this.onPending?.();
  }

  /** Clears a pending bit; an external interrupt whose line is high and that is not active stays pending. */
  clearPending(exc: number): void {
    if (!this.isValid(exc)) return;
    if (exc >= EXC.IRQ0 && this.level[exc] && !this.active[exc]) return;
    this.unpend(exc);
  }

  activate(exc: number): void {
    this.unpend(exc);
    this.active[exc] = true;
  }

  /** Ends an exception; an interrupt whose input line is still high becomes pending again. */
  deactivate(exc: number): void {
    this.active[exc] = false;
    if (exc >= EXC.IRQ0 && this.level[exc]) this.pending[exc] = true;
  }

  /** Drives an external interrupt input: a rising edge pends the interrupt. */
  setIrqLevel(irq: number, high: boolean): void {
    const exc = EXC.IRQ0 + irq;
    if (exc >= this.count) return;
    const rising = high && !this.level[exc];
    this.level[exc] = high;
    if (rising) this.setPending(exc);
  }

  private unpend(exc: number): void {
    if (!this.pending[exc]) return;
    this.pending[exc] = false;
    this.onPendingCleared?.(exc);
  }

  private outranks(a: number, b: number): boolean {
    const ga = this.groupPriority(a);
    const gb = this.groupPriority(b);
    if (ga !== gb) return ga < gb;
    const pa = this.priority[a]!;
    const pb = this.priority[b]!;
    if (pa !== pb) return pa < pb;
    return a < b;
  }
}
