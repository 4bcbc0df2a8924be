/**
 * The cycle cost of every hypervisor action, from one documented table. Each default cites its
 * source; where no published figure exists the estimate and its reasoning are given.
 */

export interface CostEntry {
  readonly cycles: number;
  readonly source: string;
}

export const DEFAULT_COSTS = {
  exceptionEntry: {
    cycles: 12,
    source: 'Cortex-M4 exception entry latency with zero wait states (J. Yiu, "Beginner\'s guide on interrupt latency", Arm community blog)',
  },
  exceptionReturn: {
    cycles: 10,
    source: 'Cortex-M3/M4 exception exit (Arm knowledge article 103489845)',
  },
  tailChain: {
    cycles: 6,
    source: 'Cortex-M3/M4 tail-chaining (J. Yiu, "The Definitive Guide to ARM Cortex-M3 and M4")',
  },
  trapEntry: {
    cycles: 12,
    source: 'a trap into the hypervisor is an exception entry on the physical core (same figure as exceptionEntry)',
  },
  trapReturn: {
    cycles: 10,
    source: 'returning from the hypervisor to the guest is an exception return (same figure as exceptionReturn)',
  },
  mmioEmulation: {
    cycles: 20,
    source:
      'estimate, no published figure: decode the faulting access and dispatch to the device model, ~10 instructions at LDR/STR 2 cycles (Cortex-M4 TRM table 3-1)',
  },
  hypercall: {
    cycles: 20,
    source: 'estimate, no published figure: SVC dispatch in the hypervisor, ~10 instructions',
  },
  registerSaveRestore: {
    cycles: 1,
    source: 'per word of context with STM/LDM, 1+N cycles (Cortex-M4 Generic User Guide DUI0553 table 3-1)',
  },
  vcpuSwitch: {
    cycles: 60,
    source:
      'estimate: scheduler decision plus MPU reprogramming of the partition (at least 2 word writes per region, Cortex-M3 TRM DDI0337E §9.6; 8 regions ~ 32 cycles) and bookkeeping; register words are charged separately',
  },
} as const satisfies Record<string, CostEntry>;

export type CostName = keyof typeof DEFAULT_COSTS;
export type CostTable = Record<CostName, CostEntry>;

/** Words saved and restored on a vCPU switch: R0-R12, SP (both banks), LR, PC, xPSR, CONTROL, masks. */
export const VCPU_CONTEXT_WORDS = 21;

export function defaultCosts(): CostTable {
  return { ...DEFAULT_COSTS };
}

/** Cycles of one MMIO trap round trip: entry, emulation, return. */
export function mmioTrapCycles(costs: CostTable): number {
  return costs.trapEntry.cycles + costs.mmioEmulation.cycles + costs.trapReturn.cycles;
}

/** Cycles of switching the core from one vCPU to another. */
export function vcpuSwitchCycles(costs: CostTable): number {
  return costs.vcpuSwitch.cycles + 2 * VCPU_CONTEXT_WORDS * costs.registerSaveRestore.cycles;
}
