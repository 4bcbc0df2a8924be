/**
 * ExceptionState: the NVIC priority logic (ARMv7-M ARM B1.5.4 ExecutionPriority, B1.5.6
 * pending-exception selection, B3.4 level-sensitive interrupts; QEMU 7.2 armv7m_nvic.c reset).
 */
import { describe, expect, it, vi } from 'vitest';
import { ExceptionState, NO_PRIORITY_LIMIT } from '../../hv/arch/armv7m/exception-state.ts';
import { EXC } from '../../hv/arch/armv7m/exceptions.ts';

const NONE = { primask: 0, faultmask: 0, basepri: 0 };
const IRQ = (n: number) => EXC.IRQ0 + n;

describe('ExceptionState reset', () => {
  it('enables NMI, HardFault, SVCall, PendSV and SysTick only, with fixed priorities -2 and -1', () => {
    const s = new ExceptionState(32, 8);
    expect(s.count).toBe(48);
    const enabled = s.enabled.flatMap((on, exc) => (on ? [exc] : []));
    expect(enabled).toEqual([EXC.NMI, EXC.HARD_FAULT, EXC.SVCALL, EXC.PENDSV, EXC.SYSTICK]);
    expect(s.priority[EXC.NMI]).toBe(-2);
    expect(s.priority[EXC.HARD_FAULT]).toBe(-1);
    expect(s.priority[EXC.RESET]).toBeLessThan(-2);
    expect(s.priority.slice(EXC.MEM_MANAGE)).toEqual(new Array(48 - EXC.MEM_MANAGE).fill(0));
    expect(s.pending.some(Boolean) || s.active.some(Boolean)).toBe(false);
    expect(s.prigroup).toBe(0);
  });

  it('reset() undoes every change', () => {
    const s = new ExceptionState(32, 8);
    s.setPriority(IRQ(3), 0x40);
    s.enabled[IRQ(3)] = true;
    s.setPending(IRQ(3));
    s.activate(EXC.SVCALL);
    s.setIrqLevel(5, true);
    s.prigroup = 4;
    s.reset();
    expect(s.priority[IRQ(3)]).toBe(0);
    expect(s.enabled[IRQ(3)]).toBe(false);
    expect(s.pending.some(Boolean) || s.active.some(Boolean) || s.level.some(Boolean)).toBe(false);
    expect(s.prigroup).toBe(0);
  });
});

describe('ExceptionState priorities', () => {
  it('keeps only the implemented priority bits', () => {
    const s = new ExceptionState(32, 3);
    s.setPriority(IRQ(0), 0xff);
    s.setPriority(IRQ(1), 0x3f);
    s.setPriority(EXC.SVCALL, 0xa5);
    expect(s.priority[IRQ(0)]).toBe(0xe0);
    expect(s.priority[IRQ(1)]).toBe(0x20);
    expect(s.priority[EXC.SVCALL]).toBe(0xa0);
    const full = new ExceptionState(32, 8);
    full.setPriority(IRQ(0), 0xff);
    expect(full.priority[IRQ(0)]).toBe(0xff);
  });

  it('ignores priority writes to Reset, NMI, HardFault and beyond the last interrupt', () => {
    const s = new ExceptionState(32, 8);
    s.setPriority(EXC.NMI, 0x10);
    s.setPriority(EXC.HARD_FAULT, 0x10);
    s.setPriority(48, 0x10);
    expect(s.priority[EXC.NMI]).toBe(-2);
    expect(s.priority[EXC.HARD_FAULT]).toBe(-1);
    expect(s.priority).toHaveLength(48);
  });

  it('splits group and subpriority at PRIGROUP', () => {
    const s = new ExceptionState(32, 8);
    s.setPriority(IRQ(0), 0xb7);
    expect(s.groupPriority(IRQ(0))).toBe(0xb6); // PRIGROUP 0: bits [7:1]
    s.prigroup = 3;
    expect(s.groupMask()).toBe(0xf0);
    expect(s.groupPriority(IRQ(0))).toBe(0xb0);
    s.prigroup = 7;
    expect(s.groupPriority(IRQ(0))).toBe(0);
    expect(s.groupPriority(EXC.NMI)).toBe(-2);
    expect(s.groupPriority(EXC.HARD_FAULT)).toBe(-1);
  });
});

describe('ExceptionState execution priority', () => {
  it('is the group priority of the highest active exception, else no limit', () => {
    const s = new ExceptionState(32, 8);
    expect(s.executionPriority(NONE)).toBe(NO_PRIORITY_LIMIT);
    s.prigroup = 4; // group = bits [7:5]
    s.setPriority(IRQ(0), 0x70);
    s.setPriority(IRQ(1), 0x90);
    s.activate(IRQ(1));
    expect(s.executionPriority(NONE)).toBe(0x80);
    s.activate(IRQ(0));
    expect(s.executionPriority(NONE)).toBe(0x60);
    s.activate(EXC.HARD_FAULT);
    expect(s.executionPriority(NONE)).toBe(-1);
  });

  it('is boosted to 0 by PRIMASK, -1 by FAULTMASK and the group of BASEPRI', () => {
    const s = new ExceptionState(32, 8);
    expect(s.executionPriority({ ...NONE, primask: 1 })).toBe(0);
    expect(s.executionPriority({ ...NONE, faultmask: 1 })).toBe(-1);
    expect(s.executionPriority({ primask: 1, faultmask: 1, basepri: 0x40 })).toBe(-1);
    expect(s.executionPriority({ ...NONE, basepri: 0x41 })).toBe(0x40);
    s.prigroup = 5; // group = bits [7:6]
    expect(s.executionPriority({ ...NONE, basepri: 0x7f })).toBe(0x40);
    expect(s.executionPriority({ ...NONE, basepri: 0x20 })).toBe(0);
    s.setPriority(IRQ(0), 0x00);
    s.activate(IRQ(0));
    expect(s.executionPriority({ ...NONE, basepri: 0x80 })).toBe(0);
    s.activate(EXC.NMI);
    expect(s.executionPriority({ ...NONE, primask: 1 })).toBe(-2);
  });
});

describe('ExceptionState pending selection', () => {
  it('picks by group priority, then subpriority, then exception number; ignores disabled ones', () => {
    const s = new ExceptionState(32, 8);
    s.prigroup = 5; // group = bits [7:6], subpriority = bits [5:0]
    for (const n of [0, 1, 2, 3]) s.enabled[IRQ(n)] = true;
    s.setPriority(IRQ(0), 0x90); // group 0x80, sub 0x10
    s.setPriority(IRQ(1), 0x60); // group 0x40, sub 0x20
    s.setPriority(IRQ(2), 0x50); // group 0x40, sub 0x10
    s.setPriority(IRQ(3), 0x50); // same as IRQ2, higher number
    expect(s.highestPending()).toBe(0);
    s.setPending(IRQ(3));
    s.setPending(IRQ(0));
    expect(s.highestPending()).toBe(IRQ(3));
    s.setPending(IRQ(1));
    expect(s.highestPending()).toBe(IRQ(3));
    s.setPending(IRQ(2));
    expect(s.highestPending()).toBe(IRQ(2));
    s.setPending(IRQ(7)); // disabled
    s.setPriority(IRQ(7), 0);
    expect(s.highestPending()).toBe(IRQ(2));
    s.setPending(EXC.SVCALL); // priority 0
    expect(s.highestPending()).toBe(EXC.SVCALL);
    s.setPending(EXC.PENDSV);
    expect(s.highestPending()).toBe(EXC.SVCALL);
    s.setPending(EXC.NMI);
    expect(s.highestPending()).toBe(EXC.NMI);
  });

  it('preempts only with a group priority strictly above the execution priority', () => {
    const s = new ExceptionState(32, 8);
    s.prigroup = 5;
    s.enabled[IRQ(0)] = true;
    s.enabled[IRQ(1)] = true;
    s.setPriority(IRQ(0), 0x40);
    s.setPriority(IRQ(1), 0x7f); // same group as IRQ0, lower subpriority
    s.activate(IRQ(1));
    s.setPending(IRQ(0));
    const running = s.executionPriority(NONE);
    expect(running).toBe(0x40);
    expect(s.preempting(running)).toBe(0); // subpriority never preempts
    expect(s.hasMaskedPending(running)).toBe(true);
    expect(s.preempting(0x41)).toBe(IRQ(0));
    expect(s.hasMaskedPending(0x41)).toBe(false);
    expect(s.preempting(NO_PRIORITY_LIMIT)).toBe(IRQ(0));
    expect(s.preempting(s.executionPriority({ ...NONE, primask: 1 }))).toBe(0);
    s.setPending(EXC.NMI);
    expect(s.preempting(s.executionPriority({ ...NONE, faultmask: 1 }))).toBe(EXC.NMI);
  });

  it('activate clears pending; deactivate ends the activation', () => {
    const s = new ExceptionState(32, 8);
    s.setPending(EXC.SVCALL);
    s.activate(EXC.SVCALL);
    expect(s.pending[EXC.SVCALL]).toBe(false);
    expect(s.active[EXC.SVCALL]).toBe(true);
    expect(s.activeCount()).toBe(1);
    s.deactivate(EXC.SVCALL);
    expect(s.active[EXC.SVCALL]).toBe(false);
    expect(s.pending[EXC.SVCALL]).toBe(false);
    expect(s.activeCount()).toBe(0);
  });
});

describe('ExceptionState interrupt lines', () => {
  it('pends on a rising edge only', () => {
    const s = new ExceptionState(32, 8);
    s.setIrqLevel(4, true);
    expect(s.pending[IRQ(4)]).toBe(true);
    s.activate(IRQ(4));
    s.setIrqLevel(4, true); // still high: no new edge
    expect(s.pending[IRQ(4)]).toBe(false);
    s.setIrqLevel(4, false);
    expect(s.pending[IRQ(4)]).toBe(false);
    s.setIrqLevel(4, true);
    expect(s.pending[IRQ(4)]).toBe(true);
    s.setIrqLevel(40, true); // no such line
    expect(s.pending.length).toBe(48);
  });

  it('pends again on deactivation while the line is still high', () => {
    const s = new ExceptionState(32, 8);
    s.setIrqLevel(2, true);
    s.activate(IRQ(2));
    s.deactivate(IRQ(2));
    expect(s.pending[IRQ(2)]).toBe(true);
    s.activate(IRQ(2));
    s.setIrqLevel(2, false);
    s.deactivate(IRQ(2));
    expect(s.pending[IRQ(2)]).toBe(false);
  });

  it('ignores clearPending while the line is high and the interrupt is inactive', () => {
    const s = new ExceptionState(32, 8);
    s.setIrqLevel(1, true);
    s.clearPending(IRQ(1));
    expect(s.pending[IRQ(1)]).toBe(true);
    s.activate(IRQ(1));
    s.setPending(IRQ(1));
    s.clearPending(IRQ(1)); // active: the clear works
    expect(s.pending[IRQ(1)]).toBe(false);
    s.setIrqLevel(1, false);
    s.deactivate(IRQ(1));
    s.setPending(IRQ(1));
    s.clearPending(IRQ(1)); // line low
    expect(s.pending[IRQ(1)]).toBe(false);
    s.setPending(EXC.PENDSV);
    s.clearPending(EXC.PENDSV);
    expect(s.pending[EXC.PENDSV]).toBe(false);
  });

  it('calls onPending when an exception becomes pending, not when it already is', () => {
    const s = new ExceptionState(32, 8);
    const onPending = vi.fn();
    s.onPending = onPending;
    s.setPending(EXC.PENDSV);
    s.setPending(EXC.PENDSV);
    expect(onPending).toHaveBeenCalledTimes(1);
    s.setIrqLevel(0, true);
    expect(onPending).toHaveBeenCalledTimes(2);
    s.setIrqLevel(0, true);
    s.setPending(EXC.RESET); // not a pendable exception
    s.setPending(48);
    expect(onPending).toHaveBeenCalledTimes(2);
    expect(s.pending[EXC.RESET]).toBe(false);
  });
});
