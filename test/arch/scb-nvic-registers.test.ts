/**
 * The System Control Space register files (SCB, NVIC, MPU) and the PPB dispatcher, against the
 * ARMv7-M ARM B3.2-B3.5 and QEMU 7.2's Cortex-M4 (/tmp/research/qemu-mps2.md section 5).
 * Offsets are from 0xE000E000; the PPB dispatcher is tested in system-space.test.ts.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DWT_REG } from '../../hv/arch/armv7m/dwt.ts';
import { ExceptionState } from '../../hv/arch/armv7m/exception-state.ts';
import { EXC } from '../../hv/arch/armv7m/exceptions.ts';
import { FaultStatus } from '../../hv/arch/armv7m/fault-status.ts';
import { MPU_REG as MPU, MpuRegisters } from '../../hv/arch/armv7m/mpu-registers.ts';
import { NVIC_REG as NVIC, NvicRegisters } from '../../hv/arch/armv7m/nvic-registers.ts';
import { SCB_REG as SCB, ScbRegisters } from '../../hv/arch/armv7m/scb-registers.ts';
import { PPB_BASE, PPB_OFFSET, SCS_SYSTICK } from '../../hv/arch/armv7m/system-space.ts';
import { SYSTICK_REG as ST } from '../../hv/arch/armv7m/systick.ts';

const IRQ = (n: number) => EXC.IRQ0 + n;
const { SCS, DWT } = PPB_OFFSET;
const SYST = SCS + SCS_SYSTICK;

let state: ExceptionState;
let faults: FaultStatus;
let scb: ScbRegisters;
let nvic: NvicRegisters;
let current: number;
let resets: number;
let fpca: boolean;

beforeEach(() => {
  state = new ExceptionState(32, 8);
  faults = new FaultStatus();
  current = 0;
  resets = 0;
  fpca = false;
  scb = new ScbRegisters(state, faults, {
    currentException: () => current,
    requestSystemReset: () => resets++,
    fpContextActive: () => fpca,
    traceEnableChanging: () => {},
  });
  nvic = new NvicRegisters(state);
});

describe('register maps', () => {
  it('have the ARMv7-M ARM offsets (B3.2-B3.5, C1.8) and the PPB layout', () => {
    expect(SCB).toEqual({
      ACTLR: 0x008, CPUID: 0xd00, ICSR: 0xd04, VTOR: 0xd08, AIRCR: 0xd0c, SCR: 0xd10, CCR: 0xd14,
      SHPR1: 0xd18, SHPR2: 0xd1c, SHPR3: 0xd20, SHCSR: 0xd24, CFSR: 0xd28, HFSR: 0xd2c, DFSR: 0xd30, MMFAR: 0xd34, BFAR: 0xd38, AFSR: 0xd3c,
      ID_PFR0: 0xd40, ID_PFR1: 0xd44, ID_DFR0: 0xd48, ID_AFR0: 0xd4c, ID_MMFR0: 0xd50, ID_MMFR1: 0xd54, ID_MMFR2: 0xd58, ID_MMFR3: 0xd5c,
      ID_ISAR0: 0xd60, ID_ISAR1: 0xd64, ID_ISAR2: 0xd68, ID_ISAR3: 0xd6c, ID_ISAR4: 0xd70, ID_ISAR5: 0xd74, CPACR: 0xd88, NSACR: 0xd8c,
      DHCSR: 0xdf0, DCRSR: 0xdf4, DCRDR: 0xdf8, DEMCR: 0xdfc, FPCCR: 0xf34, FPCAR: 0xf38, FPDSCR: 0xf3c, MVFR0: 0xf40, MVFR1: 0xf44, MVFR2: 0xf48,
    });
    expect(NVIC).toEqual({ ICTR: 0x004, ISER0: 0x100, ICER0: 0x180, ISPR0: 0x200, ICPR0: 0x280, IABR0: 0x300, IPR0: 0x400, STIR: 0xf00, PID0: 0xfe0 });
    expect(MPU).toEqual({
      TYPE: 0xd90, CTRL: 0xd94, RNR: 0xd98, RBAR: 0xd9c, RASR: 0xda0, RBAR_A1: 0xda4, RASR_A1: 0xda8, RBAR_A2: 0xdac, RASR_A2: 0xdb0, RBAR_A3: 0xdb4, RASR_A3: 0xdb8,
    });
    expect(ST).toEqual({ CSR: 0x0, RVR: 0x4, CVR: 0x8, CALIB: 0xc });
    expect(DWT_REG).toEqual({ CTRL: 0x000, CYCCNT: 0x004 });
    expect([PPB_BASE + SCS, PPB_BASE + SYST, PPB_BASE + DWT]).toEqual([0xe000e000, 0xe000e010, 0xe0001000]);
  });
});

describe('SCB identification and control', () => {
  it('reads CPUID 0x410FC240, the ID registers and MVFR0/1 as QEMU does (word access only)', () => {
    expect(scb.read(SCB.CPUID, 4)).toBe(0x410fc240);
    expect(scb.read(SCB.CPUID, 1)).toBe(0);
    expect(scb.read(SCB.ID_ISAR0, 4)).toBe(0x01141110);
    expect(scb.read(SCB.ID_PFR0, 4)).toBe(0x00000030);
    expect(scb.read(SCB.MVFR0, 4)).toBe(0x10110021);
    expect(scb.read(SCB.MVFR1, 4)).toBe(0x11000011);
    expect(scb.read(SCB.MVFR2, 4)).toBe(0);
    scb.write(SCB.CPUID, 4, 0);
    expect(scb.read(SCB.CPUID, 4)).toBe(0x410fc240);
  });

  it('masks VTOR to 0xFFFFFF80, SCR to SLEEPONEXIT|SEVONPEND and CCR to its writable bits', () => {
    scb.write(SCB.VTOR, 4, 0xffffffff);
    expect(scb.read(SCB.VTOR, 4)).toBe(0xffffff80);
    scb.write(SCB.VTOR, 2, 0x1234); // word-only
    expect(scb.read(SCB.VTOR, 4)).toBe(0xffffff80);
    scb.write(SCB.SCR, 4, 0x1e);
    expect(scb.read(SCB.SCR, 4)).toBe(0x12);
    expect(scb.read(SCB.CCR, 4)).toBe(0x200);
    scb.write(SCB.CCR, 4, 0xffffffff);
    expect(scb.read(SCB.CCR, 4)).toBe(0x31b);
    scb.write(SCB.CCR, 4, 0);
    expect(scb.read(SCB.CCR, 4)).toBe(0);
    scb.reset();
    expect(scb.read(SCB.CCR, 4)).toBe(0x200);
    expect(scb.read(SCB.VTOR, 4)).toBe(0);
  });

  it('reads AIRCR as 0xFA05 | PRIGROUP and acts on writes only with the 0x05FA key', () => {
    expect(scb.read(SCB.AIRCR, 4)).toBe(0xfa050000);
    scb.write(SCB.AIRCR, 4, 0x05fa0500);
    expect(state.prigroup).toBe(5);
    expect(scb.read(SCB.AIRCR, 4)).toBe(0xfa050500);
    scb.write(SCB.AIRCR, 4, 0x12340304); // wrong key
    expect(state.prigroup).toBe(5);
    expect(resets).toBe(0);
    scb.write(SCB.AIRCR, 4, 0x05fa0304);
    expect(state.prigroup).toBe(3);
    expect(resets).toBe(1);
  });

  it('keeps CPACR bits 23:20, resets FPCCR to 0xC0000000 and masks FPCAR/FPDSCR', () => {
    scb.write(SCB.CPACR, 4, 0xffffffff);
    expect(scb.read(SCB.CPACR, 4)).toBe(0x00f00000);
    expect(scb.read(SCB.FPCCR, 4)).toBe(0xc0000000);
    scb.write(SCB.FPCCR, 4, 0xffffffff);
    expect(scb.read(SCB.FPCCR, 4)).toBe(0xc000017b);
    fpca = true; // the handler's first FP instruction performed the lazy save
    expect(scb.read(SCB.FPCCR, 4)).toBe(0xc000017a);
    scb.write(SCB.FPCAR, 4, 0x20000ff7);
    expect(scb.read(SCB.FPCAR, 4)).toBe(0x20000ff0);
    scb.write(SCB.FPDSCR, 4, 0xffffffff);
    expect(scb.read(SCB.FPDSCR, 4)).toBe(0x07c00000);
  });
});

describe('SCB ICSR', () => {
  it('reads 0x800 at reset, then VECTACTIVE, RETTOBASE, VECTPENDING and ISRPENDING', () => {
    expect(scb.read(SCB.ICSR, 4)).toBe(0x800);
    current = 11;
    state.activate(EXC.SVCALL);
    expect(scb.read(SCB.ICSR, 4)).toBe(0x80b);
    state.activate(IRQ(4));
    current = IRQ(4);
    expect(scb.read(SCB.ICSR, 4) & 0x800).toBe(0); // two active
    state.setPending(IRQ(1)); // disabled: ISRPENDING but not VECTPENDING
    expect(scb.read(SCB.ICSR, 4)).toBe((1 << 22) | IRQ(4));
    state.enabled[IRQ(1)] = true;
    expect(scb.read(SCB.ICSR, 4)).toBe((1 << 22) | (IRQ(1) << 12) | IRQ(4));
  });

  it('sets and clears PendSV and SysTick pending, set winning, and pends NMI', () => {
    scb.write(SCB.ICSR, 4, 1 << 28);
    expect(state.pending[EXC.PENDSV]).toBe(true);
    expect(scb.read(SCB.ICSR, 4) & (1 << 28)).toBe(1 << 28);
    expect((scb.read(SCB.ICSR, 4) >>> 12) & 0x1ff).toBe(EXC.PENDSV);
    scb.write(SCB.ICSR, 4, 1 << 27);
    expect(state.pending[EXC.PENDSV]).toBe(false);
    scb.write(SCB.ICSR, 4, (1 << 26) | (1 << 25));
    expect(state.pending[EXC.SYSTICK]).toBe(true);
    expect(scb.read(SCB.ICSR, 4) & (1 << 26)).toBe(1 << 26);
    scb.write(SCB.ICSR, 4, 1 << 25);
    expect(state.pending[EXC.SYSTICK]).toBe(false);
    scb.write(SCB.ICSR, 4, 0x80000000);
    expect(state.pending[EXC.NMI]).toBe(true);
    expect(scb.read(SCB.ICSR, 4)).toBe((0x80000000 | (EXC.NMI << 12) | 0x800) >>> 0);
  });
});

describe('SCB priorities, handler state and fault status', () => {
  it('gives SHPR byte access with RAZ/WI bytes for exceptions 7-10 and 13', () => {
    for (const off of [SCB.SHPR1, SCB.SHPR2, SCB.SHPR3]) scb.write(off, 4, 0xffffffff);
    expect(scb.read(SCB.SHPR1, 4)).toBe(0x00ffffff);
    expect(scb.read(SCB.SHPR2, 4)).toBe(0xff000000);
    expect(scb.read(SCB.SHPR3, 4)).toBe(0xffff00ff);
    scb.write(SCB.SHPR2 + 3, 1, 0x40); // SVCall
    expect(state.priority[EXC.SVCALL]).toBe(0x40);
    expect(scb.read(SCB.SHPR2 + 3, 1)).toBe(0x40);
    scb.write(SCB.SHPR3 + 2, 2, 0x8070); // PendSV, SysTick
    expect(state.priority[EXC.PENDSV]).toBe(0x70);
    expect(state.priority[EXC.SYSTICK]).toBe(0x80);
    expect(scb.read(SCB.SHPR3, 2)).toBe(0x00ff);
  });

  it('maps SHCSR bits to the active, pending and enable state of the system handlers', () => {
    expect(scb.read(SCB.SHCSR, 4)).toBe(0);
    state.activate(EXC.SVCALL);
    state.activate(EXC.SYSTICK);
    state.pending[EXC.BUS_FAULT] = true;
    expect(scb.read(SCB.SHCSR, 4)).toBe((1 << 7) | (1 << 11) | (1 << 14));
    scb.write(SCB.SHCSR, 4, (1 << 16) | (1 << 17) | (1 << 18) | (1 << 3) | (1 << 15));
    expect(state.enabled[EXC.MEM_MANAGE] && state.enabled[EXC.BUS_FAULT] && state.enabled[EXC.USAGE_FAULT]).toBe(true);
    expect(state.active[EXC.USAGE_FAULT]).toBe(true);
    expect(state.active[EXC.SVCALL]).toBe(false);
    expect(state.pending[EXC.SVCALL]).toBe(true);
    expect(state.pending[EXC.BUS_FAULT]).toBe(false);
    expect(scb.read(SCB.SHCSR, 4)).toBe(0x78008);
  });

  it('clears CFSR bits written as one, by byte, halfword or word', () => {
    faults.cfsr = 0x02018282;
    expect(scb.read(SCB.CFSR, 1)).toBe(0x82);
    expect(scb.read(SCB.CFSR + 1, 1)).toBe(0x82);
    expect(scb.read(SCB.CFSR + 2, 2)).toBe(0x0201);
    scb.write(SCB.CFSR + 1, 1, 0x80); // BFARVALID
    expect(faults.cfsr).toBe(0x02010282);
    scb.write(SCB.CFSR + 2, 2, 0x0200); // DIVBYZERO
    expect(faults.cfsr).toBe(0x00010282);
    scb.write(SCB.CFSR, 4, 0x00010002);
    expect(scb.read(SCB.CFSR, 4)).toBe(0x00000280);
    scb.write(SCB.CFSR, 1, 0xff00); // only the addressed byte
    expect(faults.cfsr).toBe(0x00000280);
  });

  it('clears HFSR bits written as one and keeps MMFAR/BFAR as written', () => {
    faults.hfsr = 0xc0000002;
    expect(scb.read(SCB.HFSR, 4)).toBe(0xc0000002);
    scb.write(SCB.HFSR, 4, 0x40000000);
    expect(scb.read(SCB.HFSR, 4)).toBe(0x80000002);
    scb.write(SCB.BFAR, 4, 0x30000000);
    scb.write(SCB.MMFAR, 4, 0x20000004);
    expect([faults.bfar, faults.mmfar]).toEqual([0x30000000, 0x20000004]);
    expect(scb.read(SCB.BFAR, 4)).toBe(0x30000000);
  });
});

describe('NVIC registers', () => {
  it('sets and clears enables through ISER/ICER, bits past the last IRQ being RAZ/WI', () => {
    nvic.write(NVIC.ISER0, 4, 0x80000005);
    expect([state.enabled[IRQ(0)], state.enabled[IRQ(2)], state.enabled[IRQ(31)], state.enabled[IRQ(1)]]).toEqual([true, true, true, false]);
    expect(nvic.read(NVIC.ISER0, 4)).toBe(0x80000005);
    expect(nvic.read(NVIC.ICER0, 4)).toBe(0x80000005);
    nvic.write(NVIC.ICER0, 4, 0x80000001);
    expect(nvic.read(NVIC.ISER0, 4)).toBe(4);
    nvic.write(NVIC.ISER0 + 1, 1, 0x01); // byte access: IRQ 8
    expect(state.enabled[IRQ(8)]).toBe(true);
    expect(nvic.read(NVIC.ISER0 + 1, 1)).toBe(1);
    nvic.write(NVIC.ISER0 + 4, 4, 0xffffffff); // ISER1: no IRQs 32-63
    expect(nvic.read(NVIC.ISER0 + 4, 4)).toBe(0);
    expect(state.enabled[EXC.SVCALL]).toBe(true);
  });

  it('sets and clears pending through ISPR/ICPR and shows active bits in read-only IABR', () => {
    nvic.write(NVIC.ISPR0, 4, 0x12);
    expect(nvic.read(NVIC.ISPR0, 4)).toBe(0x12);
    expect(nvic.read(NVIC.ICPR0, 4)).toBe(0x12);
    nvic.write(NVIC.ICPR0, 4, 0x02);
    expect(nvic.read(NVIC.ISPR0, 4)).toBe(0x10);
    state.setIrqLevel(6, true);
    nvic.write(NVIC.ICPR0, 4, 0x40); // line high, not active: stays pending
    expect(nvic.read(NVIC.ISPR0, 4)).toBe(0x50);
    state.activate(IRQ(4));
    expect(nvic.read(NVIC.IABR0, 4)).toBe(0x10);
    nvic.write(NVIC.IABR0, 4, 0xffffffff);
    expect(nvic.read(NVIC.IABR0, 4)).toBe(0x10);
  });

  it('stores one priority byte per IRQ in IPR with byte, halfword and word access', () => {
    nvic.write(NVIC.IPR0, 4, 0x44332211);
    expect([1, 2, 3, 4].map((n) => state.priority[IRQ(n - 1)])).toEqual([0x11, 0x22, 0x33, 0x44]);
    expect(nvic.read(NVIC.IPR0 + 1, 1)).toBe(0x22);
    expect(nvic.read(NVIC.IPR0 + 2, 2)).toBe(0x4433);
    nvic.write(NVIC.IPR0 + 0x1f, 1, 0xff);
    expect(state.priority[IRQ(31)]).toBe(0xff);
    expect(nvic.read(NVIC.IPR0 + 0x1c, 4)).toBe(0xff000000);
    nvic.write(NVIC.IPR0 + 0x20, 4, 0xffffffff); // IRQs 32-35 do not exist
    expect(nvic.read(NVIC.IPR0 + 0x20, 4)).toBe(0);
  });

  it('reads ICTR 0 for 32 IRQs, pends through STIR and has QEMU ID registers', () => {
    expect(nvic.read(NVIC.ICTR, 4)).toBe(0);
    expect(new NvicRegisters(new ExceptionState(64, 8)).read(NVIC.ICTR, 4)).toBe(1);
    nvic.write(NVIC.STIR, 4, 5);
    expect(state.pending[IRQ(5)]).toBe(true);
    nvic.write(NVIC.STIR, 4, 0x200 | 7); // only INTID [8:0]
    expect(state.pending[IRQ(7)]).toBe(true);
    nvic.write(NVIC.STIR, 4, 40);
    expect(state.pending.filter(Boolean)).toHaveLength(2);
    expect(nvic.read(NVIC.STIR, 4)).toBe(0);
    const ids = Array.from({ length: 8 }, (_, i) => nvic.read(NVIC.PID0 + 4 * i, 4)); // PID0-3, CID0-3
    expect(ids).toEqual([0x00, 0xb0, 0x1b, 0x00, 0x0d, 0xe0, 0x05, 0xb1]);
  });
});

describe('MPU registers', () => {
  it('reads MPU_TYPE 0x800 and selects regions through RNR or RBAR.VALID', () => {
    const mpu = new MpuRegisters();
    expect(mpu.read(MPU.TYPE)).toBe(0x800);
    mpu.write(MPU.CTRL, 0xffffffff);
    expect(mpu.read(MPU.CTRL)).toBe(7);
    expect(mpu.enabled).toBe(true);
    mpu.write(MPU.RNR, 2);
    mpu.write(MPU.RBAR, 0x20000000);
    mpu.write(MPU.RASR, 0x0306002b);
    mpu.write(MPU.RBAR, 0x10000000 | 0x10 | 5); // VALID, REGION 5
    expect(mpu.read(MPU.RNR)).toBe(5);
    expect(mpu.read(MPU.RBAR)).toBe(0x10000005); // VALID reads 0, REGION = RNR
    mpu.write(MPU.RNR, 2);
    expect(mpu.read(MPU.RBAR)).toBe(0x20000002);
    expect(mpu.read(MPU.RASR)).toBe(0x0306002b);
    expect(mpu.read(MPU.RBAR_A1)).toBe(0x20000002); // RBAR_A1 alias
    mpu.reset();
    expect([mpu.read(MPU.CTRL), mpu.read(MPU.RNR), mpu.read(MPU.RBAR)]).toEqual([0, 0, 0]);
  });

  it('keeps every RASR field, TEX[2:0] included (QEMU keeps value & 0x173FFF3F)', () => {
    const mpu = new MpuRegisters();
    mpu.write(MPU.RNR, 1);
    mpu.write(MPU.RASR, 0x030b002b); // TEX=1 C=1 B=1: normal write-back memory
    expect(mpu.read(MPU.RASR)).toBe(0x030b002b);
    mpu.write(MPU.RASR_A1, 0xffffffff); // RASR_A1: XN, AP, TEX, S, C, B, SRD, SIZE, ENABLE
    expect(mpu.read(MPU.RASR)).toBe(0x173fff3f);
  });
});
