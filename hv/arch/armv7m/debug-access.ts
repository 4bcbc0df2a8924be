/**
 * The Cortex-M4 vCPU as GDB sees it: a target description with GDB's M-profile core feature
 * (r0-r12, sp, lr, pc, xpsr at GDB's traditional number 25), the VFP feature (d0-d15 and fpscr;
 * GDB derives s0-s31 from them), GDB's m-system feature (msp, psp) and hvlab's own feature for
 * the other special registers (primask, basepri, faultmask, control). Register numbers are GDB's
 * remote numbers; the `g` packet holds the registers in that order without gaps.
 *
 * Writes go through the same workarounds as the hypervisor's own (cpu-registers.ts): the
 * special registers are written privileged, and xpsr writes change only the APSR flags
 * (N, Z, C, V, Q, GE): the exception number and the Thumb bit are the hypervisor's to manage.
 */
import { ARM_REG as R } from '../../unicorn/constants.ts';
import type { DebugAccess, DebugRegister, FaultReport } from '../cpu.ts';
import type { CpuRegisters } from './cpu-registers.ts';

const SIGILL = 4;
const SIGBUS = 7;
const SIGSEGV = 11;

/** GDB's number of xpsr in the M-profile feature (the FPA registers once sat between pc and it). */
const XPSR_REGNUM = 25;
const FIRST_D_REGNUM = 26;
const D_REGISTERS = 16;

type Access = { read(): number; write?(value: number): void };

interface Entry extends DebugRegister {
  readonly words: readonly Access[];
}

export function cortexMDebugAccess(regs: CpuRegisters): DebugAccess {
  const entries = registerTable(regs);
  const byNumber = new Map(entries.map((e) => [e.regnum, e]));
  return {
    targetXml: targetXml(entries),
    registers: entries.map(({ name, regnum, bytes }) => ({ name, regnum, bytes })),
    readRegister: (regnum) => {
      const entry = byNumber.get(regnum);
      if (!entry) return undefined;
      const out = new Uint8Array(entry.bytes);
      const view = new DataView(out.buffer);
      entry.words.forEach((w, i) => view.setUint32(4 * i, w.read() >>> 0, true));
      return out;
    },
    writeRegister: (regnum, bytes) => {
      const entry = byNumber.get(regnum);
      if (!entry || bytes.length !== entry.bytes || entry.words.some((w) => !w.write)) return false;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      entry.words.forEach((w, i) => w.write!(view.getUint32(4 * i, true)));
      return true;
    },
    faultSignal: (report: FaultReport) => FAULT_SIGNALS[report.kind] ?? SIGSEGV,
    // The Cortex-M4's Flash Patch and Breakpoint unit has 6 instruction comparators, its DWT 4.
    comparators: { breakpoints: 6, watchpoints: 4 },
  };
}

const FAULT_SIGNALS: Readonly<Record<string, number>> = { BusFault: SIGBUS, UsageFault: SIGILL, MemManage: SIGSEGV, HardFault: SIGSEGV };

function registerTable(regs: CpuRegisters): Entry[] {
  const plain = (id: number): Access => ({ read: () => regs.read(id), write: (v) => regs.write(id, v) });
  const special = (id: number): Access => ({ read: () => regs.read(id), write: (v) => regs.privileged(() => regs.write(id, v)) });
  const word = (name: string, regnum: number, access: Access): Entry => ({ name, regnum, bytes: 4, words: [access] });
  const core = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12', 'sp', 'lr', 'pc'];
  const coreIds = [R.R0, R.R1, R.R2, R.R3, R.R4, R.R5, R.R6, R.R7, R.R8, R.R9, R.R10, R.R11, R.R12, R.SP, R.LR, R.PC];
  const table: Entry[] = core.map((name, i) => word(name, i, plain(coreIds[i]!)));
  table.push(word('xpsr', XPSR_REGNUM, { read: () => regs.read(R.XPSR), write: (v) => regs.write(R.XPSR_NZCVQG, v) }));
  for (let d = 0; d < D_REGISTERS; d++) {
    table.push({ name: `d${d}`, regnum: FIRST_D_REGNUM + d, bytes: 8, words: [plain(R.S0 + 2 * d), plain(R.S0 + 2 * d + 1)] });
  }
  let next = FIRST_D_REGNUM + D_REGISTERS;
  table.push(word('fpscr', next++, plain(R.FPSCR)));
  const stack = {
    msp: { read: () => regs.stackPointers().msp, write: (v: number) => regs.privileged(() => regs.write(R.MSP, v)) },
    psp: { read: () => regs.stackPointers().psp, write: (v: number) => regs.privileged(() => regs.write(R.PSP, v)) },
  };
  table.push(word('msp', next++, stack.msp), word('psp', next++, stack.psp));
  for (const [name, id] of [['primask', R.PRIMASK], ['basepri', R.BASEPRI], ['faultmask', R.FAULTMASK], ['control', R.CONTROL]] as const) {
    table.push(word(name, next++, special(id)));
  }
  return table;
}

function targetXml(entries: readonly Entry[]): string {
  const find = (name: string) => entries.find((e) => e.name === name)!;
  const reg = (name: string, attrs = '') => {
    const e = find(name);
    return `    <reg name="${name}" bitsize="${e.bytes * 8}" regnum="${e.regnum}"${attrs}/>`;
  };
  const feature = (name: string, body: string[]) => [`  <feature name="${name}">`, ...body, '  </feature>'];
  const core = ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'r12'].map((n) => reg(n));
  core.push(reg('sp', ' type="data_ptr"'), reg('lr'), reg('pc', ' type="code_ptr"'), reg('xpsr'));
  const vfp = Array.from({ length: D_REGISTERS }, (_, d) => reg(`d${d}`, ' type="ieee_double" group="float"'));
  vfp.push(reg('fpscr', ' type="int" group="float"'));
  const system = ['msp', 'psp'].map((n) => reg(n, ' type="data_ptr" group="system"'));
  const masks = ['primask', 'basepri', 'faultmask', 'control'].map((n) => reg(n, ' type="int" group="system"'));
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    '  <architecture>arm</architecture>',
    ...feature('org.gnu.gdb.arm.m-profile', core),
    ...feature('org.gnu.gdb.arm.vfp', vfp),
    ...feature('org.gnu.gdb.arm.m-system', system),
    ...feature('org.hvlab.arm.m-special', masks),
    '</target>',
    '',
  ].join('\n');
}
