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
  return { reason, kind, description, cause: cpu.lastFault ?? null, pc: regs.pc, ...status, registers };
}

/** The report as console lines (what `hv run` prints when it stops a guest). */
export function formatFaultReport(report: FaultReport): string[] {
  const h = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
  const r = report.registers;
  const regs = (names: string[]) => names.map((n) => `${n} ${h(r[n] ?? 0)}`).join(' ');
  return [
    `stopped (${report.reason}): ${report.description}`,
    ...(report.cause ? [`  cause: ${report.cause} at pc ${h(report.pc)}`] : [`  pc ${h(report.pc)}`]),
    `  CFSR ${h(report.cfsr)} HFSR ${h(report.hfsr)} MMFAR ${h(report.mmfar)} BFAR ${h(report.bfar)}`,
    `  ${regs(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'])}`,
    `  ${regs(['r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr', 'pc'])}`,
    `  ${regs(['xpsr', 'msp', 'psp', 'control', 'primask', 'basepri', 'faultmask'])}`,
  ];
}
