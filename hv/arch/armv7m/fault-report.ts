/** The report of a guest stopped for a fault: what, where, status registers, core registers. */
import type { FaultReport } from '../cpu.ts';
import type { CortexM } from './cortex-m.ts';

export function buildFaultReport(cpu: CortexM, reason: string, kind: string, description: string): FaultReport {
  const regs = cpu.cpu.snapshot();
  const registers: Record<string, number> = {};
  regs.r.forEach((value, i) => (registers[`r${i}`] = value));
  Object.assign(registers, {
    sp: regs.sp,
    lr: regs.lr,
    pc: regs.pc,
    xpsr: regs.xpsr,
    msp: regs.msp,
    psp: regs.psp,
    control: regs.control,
    primask: regs.primask,
    basepri: regs.basepri,
    faultmask: regs.faultmask,
  });
  const status = cpu.faults.snapshot();
  return { reason, kind, description, pc: regs.pc, ...status, registers };
}
