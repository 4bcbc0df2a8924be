/** The report of a guest stopped for a fault: what, where, status registers, core registers. */
import type { FaultReport, Symbolize } from '../cpu.ts';
import type { CoreRegisters } from './cpu-registers.ts';

export interface FaultContext {
  readonly registers: CoreRegisters;
  /** CFSR, HFSR, MMFAR and BFAR. */
  readonly status: Readonly<Record<string, number>>;
  /** The guest fault that led here, if any. */
  readonly cause: string | undefined;
}

export function buildFaultReport(context: FaultContext, reason: string, kind: string, description: string): FaultReport {
  const regs = context.registers;
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
  return { reason, kind, description, cause: context.cause ?? null, pc: regs.pc, registers, detail: { ...context.status } };
}

/** The report as console lines (what `hv run` prints when it stops a guest); code addresses named by `symbolize`. */
export function formatFaultReport(report: FaultReport, symbolize: Symbolize = () => undefined): string[] {
  const h = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
  const r = report.registers;
  const d = report.detail;
  const regs = (names: string[]) => names.map((n) => `${n} ${h(r[n] ?? 0)}`).join(' ');
  const named = (n: number) => {
    const symbol = symbolize(n);
    return symbol ? `${h(n)} (${symbol})` : h(n);
  };
  const lr = r['lr'] ?? 0;
  // An EXC_RETURN value in LR is not a code address.
  const caller = lr >>> 0 < 0xf0000000 && symbolize(lr & ~1) ? [`  lr ${named(lr & ~1)}`] : [];
  return [
    `stopped (${report.reason}): ${report.description}`,
    ...(report.cause ? [`  cause: ${report.cause} at pc ${named(report.pc)}`] : [`  pc ${named(report.pc)}`]),
    ...caller,
    `  CFSR ${h(d['cfsr'] ?? 0)} HFSR ${h(d['hfsr'] ?? 0)} MMFAR ${h(d['mmfar'] ?? 0)} BFAR ${h(d['bfar'] ?? 0)}`,
    `  ${regs(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'])}`,
    `  ${regs(['r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr', 'pc'])}`,
    `  ${regs(['xpsr', 'msp', 'psp', 'control', 'primask', 'basepri', 'faultmask'])}`,
  ];
}
