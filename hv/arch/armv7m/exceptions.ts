/** ARMv7-M exception numbers and names (ARMv7-M ARM B1.5.2). */

export const EXC = {
  RESET: 1,
  NMI: 2,
  HARD_FAULT: 3,
  MEM_MANAGE: 4,
  BUS_FAULT: 5,
  USAGE_FAULT: 6,
  SVCALL: 11,
  DEBUG_MONITOR: 12,
  PENDSV: 14,
  SYSTICK: 15,
  /** Exception number of external interrupt 0. */
  IRQ0: 16,
} as const;

const SYSTEM_NAMES: Record<number, string> = {
  1: 'Reset',
  2: 'NMI',
  3: 'HardFault',
  4: 'MemManage',
  5: 'BusFault',
  6: 'UsageFault',
  11: 'SVCall',
  12: 'DebugMonitor',
  14: 'PendSV',
  15: 'SysTick',
};

/** "SysTick", "IRQ5", ... */
export function exceptionName(exc: number): string {
  return exc >= EXC.IRQ0 ? `IRQ${exc - EXC.IRQ0}` : (SYSTEM_NAMES[exc] ?? `Reserved${exc}`);
}

/** True for the exceptions a guest fault raises (HardFault, MemManage, BusFault, UsageFault). */
export function isFaultException(exc: number): boolean {
  return exc >= EXC.HARD_FAULT && exc <= EXC.USAGE_FAULT;
}

/**
 * True for the exceptions an instruction raises (faults, SVCall, DebugMonitor); the others (NMI,
 * PendSV, SysTick, interrupts) arrive asynchronously.
 */
export function isSynchronous(exc: number): boolean {
  return isFaultException(exc) || exc === EXC.SVCALL || exc === EXC.DEBUG_MONITOR;
}
