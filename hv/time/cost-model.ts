/**
 * The cycle cost of every hypervisor action, from one documented table. Each default cites its
 * source (../shared/guide/COST-SOURCES.md collects them); where no published figure exists, the
 * entry says so and gives the reasoning behind the estimate. A system file can override any
 * entry (`costs: FILE`), and `hv costs` prints the table in force.
 */

export interface CostEntry {
  readonly cycles: number;
  readonly source: string;
}

const YIU_LATENCY = 'J. Yiu, "Beginner\'s guide on interrupt latency", Arm community blog (Cortex-M4, zero wait states)';
const ARM_KA_EXIT = 'Arm knowledge article 103489845 (Cortex-M3/M4 exception exit)';
const DUI0553 = 'Cortex-M4 Generic User Guide DUI0553, table 3-1';

export const DEFAULT_COSTS = {
  exceptionEntry: { cycles: 12, source: YIU_LATENCY },
  exceptionReturn: { cycles: 10, source: ARM_KA_EXIT },
  tailChain: { cycles: 6, source: 'J. Yiu, "The Definitive Guide to ARM Cortex-M3 and M4" (tail-chaining)' },
  trapEntry: { cycles: 12, source: `a trap into the hypervisor is an exception entry on the physical core: ${YIU_LATENCY}` },
  trapReturn: { cycles: 10, source: `leaving the hypervisor is an exception return: ${ARM_KA_EXIT}` },
  mmioEmulation: {
    cycles: 20,
    source: `estimate (no published figure): decode the faulting access and call the device model, ~10 instructions of LDR/STR at 2 cycles (${DUI0553})`,
  },
  hypercall: { cycles: 20, source: 'estimate (no published figure): SVC number decode and dispatch in the hypervisor, ~10 instructions' },
  registerSaveRestore: { cycles: 1, source: `per word of context saved or restored with STM/LDM, 1+N cycles (${DUI0553})` },
  mpuRegionReprogram: {
    cycles: 4,
    source: 'per region: two word writes (RBAR, RASR) of 2 cycles each (Cortex-M3 TRM DDI0337E §9.6; STR timing from DUI0553)',
  },
  schedulerDecision: { cycles: 40, source: 'estimate (no published figure): pick the next vCPU from a per-core run queue, ~20 instructions' },
  interruptInjection: {
    cycles: 10,
    source: 'estimate (no published figure): set the pending bit of the guest\'s virtual NVIC and re-evaluate its highest pending exception',
  },
  eventChannelSend: {
    cycles: 30,
    source: 'estimate (no published figure): mark the event pending in the target VM and inject its interrupt (Xen evtchn_send path, reduced to MCU scale)',
  },
  grantCheck: {
    cycles: 30,
    source: 'estimate (no published figure): check that a grant reference names memory the granting VM owns and that the access is allowed',
  },
  grantCopyPerByte: { cycles: 0.5625, source: `memcpy with 8-word LDM/STM pairs: (1+8)+(1+8) cycles per 32 bytes (${DUI0553})` },
  emulatedRequest: {
    cycles: 200,
    source: 'estimate (no published figure): a device model in the hypervisor walks one virtqueue request (descriptors, header, status) in ~100 instructions',
  },
  vcpuMigrate: {
    cycles: 60,
    source:
      'estimate (no published figure): unlink the vCPU from the source core\'s run queue and link it into the destination\'s under a spinlock (~20 instructions with LDREX/STREX, DUI0553 table 3-1), then an inter-processor interrupt to the destination (an exception entry, 12 cycles, Yiu); the destination core then pays a normal vCPU switch to load it',
  },
  driverCall: {
    cycles: 8,
    source: 'estimate: load the interface table entry, switch to the driver stack and branch (4 instructions with a load)',
  },
} as const satisfies Record<string, CostEntry>;

export type CostName = keyof typeof DEFAULT_COSTS;
export type CostTable = Record<CostName, CostEntry>;

/** Words saved and restored on a vCPU switch: R0-R12, SP (both banks), LR, PC, xPSR, CONTROL, masks. */
export const VCPU_CONTEXT_WORDS = 21;
/** MPU regions of a partition (the Cortex-M4 MPU has 8), reprogrammed on a vCPU switch. */
export const PARTITION_MPU_REGIONS = 8;
/** MPU regions opened for driver context: the driver window and the physical devices. */
export const DRIVER_WINDOW_MPU_REGIONS = 2;

export function defaultCosts(): CostTable {
  return { ...DEFAULT_COSTS };
}

/** Cycles of one MMIO trap round trip: entry, emulation, return. */
export function mmioTrapCycles(costs: CostTable): number {
  return costs.trapEntry.cycles + costs.mmioEmulation.cycles + costs.trapReturn.cycles;
}

/** Cycles of a hypercall (SVC or semihosting) round trip. */
export function hypercallCycles(costs: CostTable): number {
  return costs.trapEntry.cycles + costs.hypercall.cycles + costs.trapReturn.cycles;
}

/** Cycles of saving or restoring one full vCPU register context. */
export function contextTransferCycles(costs: CostTable): number {
  return VCPU_CONTEXT_WORDS * costs.registerSaveRestore.cycles;
}

/** Cycles of switching a core from one vCPU to another (a world switch). */
export function vcpuSwitchCycles(costs: CostTable): number {
  return (
    costs.schedulerDecision.cycles +
    PARTITION_MPU_REGIONS * costs.mpuRegionReprogram.cycles +
    2 * contextTransferCycles(costs)
  );
}

/** Cycles of opening (or closing) the driver window in the caller's partition. */
export function driverWindowCycles(costs: CostTable): number {
  return DRIVER_WINDOW_MPU_REGIONS * costs.mpuRegionReprogram.cycles;
}

/** Cycles of a checked grant copy of `bytes` bytes. */
export function grantCopyCycles(costs: CostTable, bytes: number): number {
  return costs.grantCheck.cycles + Math.ceil(bytes * costs.grantCopyPerByte.cycles);
}

/** Derived costs, printed with the table by `hv costs`. */
export function derivedCosts(costs: CostTable): Array<{ name: string; cycles: number; formula: string }> {
  return [
    { name: 'mmio trap round trip', cycles: mmioTrapCycles(costs), formula: 'trapEntry + mmioEmulation + trapReturn' },
    { name: 'hypercall round trip', cycles: hypercallCycles(costs), formula: 'trapEntry + hypercall + trapReturn' },
    { name: 'context save or restore', cycles: contextTransferCycles(costs), formula: `${VCPU_CONTEXT_WORDS} words × registerSaveRestore` },
    {
      name: 'vcpu (world) switch',
      cycles: vcpuSwitchCycles(costs),
      formula: `schedulerDecision + ${PARTITION_MPU_REGIONS} × mpuRegionReprogram + 2 × context`,
    },
    { name: 'driver window open/close', cycles: driverWindowCycles(costs), formula: `${DRIVER_WINDOW_MPU_REGIONS} × mpuRegionReprogram` },
    { name: 'grant copy of 512 bytes', cycles: grantCopyCycles(costs, 512), formula: 'grantCheck + 512 × grantCopyPerByte' },
  ];
}
