/**
 * The System Control Space register files (SCB, NVIC, MPU) and the PPB dispatcher, against the
 * ARMv7-M ARM B3.2-B3.5 and QEMU 7.2's Cortex-M4 (/tmp/research/qemu-mps2.md section 5).
 * Offsets are from 0xE000E000 for the register files and from 0xE0000000 for SystemSpace.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { Dwt } from '../../hv/arch/armv7m/dwt.ts';
import { ExceptionState } from '../../hv/arch/armv7m/exception-state.ts';
import { EXC } from '../../hv/arch/armv7m/exceptions.ts';
import { FaultStatus } from '../../hv/arch/armv7m/fault-status.ts';
import { MpuRegisters } from '../../hv/arch/armv7m/mpu-registers.ts';
import { NvicRegisters } from '../../hv/arch/armv7m/nvic-registers.ts';
import { ScbRegisters } from '../../hv/arch/armv7m/scb-registers.ts';
import { SystemSpace } from '../../hv/arch/armv7m/system-space.ts';
import { SysTick } from '../../hv/arch/armv7m/systick.ts';
import { GuestBusError } from '../../hv/trap/mmio.ts';
import { FakeTime } from '../helpers/fake-time.ts';

const IRQ = (n: number) => EXC.IRQ0 + n;

let state: ExceptionState;
let faults: FaultStatus;
let scb: ScbRegisters;
let nvic: NvicRegisters;
let current: number;
let resets: number;
let fpca: boolean;
/** Called before a DEMCR write, as CortexM wires it to the DWT. */
let traceEnableChanging: () => void;

beforeEach(() => {
  traceEnableChanging = () => {};
  state = new ExceptionState(32, 8);
  faults = new FaultStatus();
  current = 0;
  resets = 0;
  fpca = false;
  scb = new ScbRegisters(state, faults, {
    currentException: () => current,
    requestSystemReset: () => resets++,
    fpContextActive: () => fpca,
    traceEnableChanging: () => traceEnableChanging(),
  });
  nvic = new NvicRegisters(state);
});

describe('SCB identification and control', () => {
  it('reads CPUID 0x410FC240, the ID registers and MVFR0/1 as QEMU does (word access only)', () => {
    expect(scb.read(0xd00, 4)).toBe(0x410fc240);
    expect(scb.read(0xd00, 1)).toBe(0);
    expect(scb.read(0xd60, 4)).toBe(0x01141110); // ID_ISAR0
    expect(scb.read(0xd40, 4)).toBe(0x00000030); // ID_PFR0
    expect(scb.read(0xf40, 4)).toBe(0x10110021); // MVFR0
    expect(scb.read(0xf44, 4)).toBe(0x11000011); // MVFR1
    expect(scb.read(0xf48, 4)).toBe(0); // MVFR2
    scb.write(0xd00, 4, 0);
    expect(scb.read(0xd00, 4)).toBe(0x410fc240);
  });

  it('masks VTOR to 0xFFFFFF80, SCR to SLEEPONEXIT|SEVONPEND and CCR to its writable bits', () => {
    scb.write(0xd08, 4, 0xffffffff);
    expect(scb.read(0xd08, 4)).toBe(0xffffff80);
    scb.write(0xd08, 2, 0x1234); // word-only
    expect(scb.read(0xd08, 4)).toBe(0xffffff80);
    scb.write(0xd10, 4, 0x1e);
    expect(scb.read(0xd10, 4)).toBe(0x12);
    expect(scb.read(0xd14, 4)).toBe(0x200);
    scb.write(0xd14, 4, 0xffffffff);
    expect(scb.read(0xd14, 4)).toBe(0x31b);
    scb.write(0xd14, 4, 0);
    expect(scb.read(0xd14, 4)).toBe(0);
    scb.reset();
    expect(scb.read(0xd14, 4)).toBe(0x200);
    expect(scb.read(0xd08, 4)).toBe(0);
  });

  it('reads AIRCR as 0xFA05 | PRIGROUP and acts on writes only with the 0x05FA key', () => {
    expect(scb.read(0xd0c, 4)).toBe(0xfa050000);
    scb.write(0xd0c, 4, 0x05fa0500);
    expect(state.prigroup).toBe(5);
    expect(scb.read(0xd0c, 4)).toBe(0xfa050500);
    scb.write(0xd0c, 4, 0x12340304); // wrong key
    expect(state.prigroup).toBe(5);
    expect(resets).toBe(0);
    scb.write(0xd0c, 4, 0x05fa0304);
    expect(state.prigroup).toBe(3);
    expect(resets).toBe(1);
  });

  it('keeps CPACR bits 23:20, resets FPCCR to 0xC0000000 and masks FPCAR/FPDSCR', () => {
    scb.write(0xd88, 4, 0xffffffff);
    expect(scb.read(0xd88, 4)).toBe(0x00f00000);
    expect(scb.read(0xf34, 4)).toBe(0xc0000000);
    scb.write(0xf34, 4, 0xffffffff);
    expect(scb.read(0xf34, 4)).toBe(0xc000017b);
    fpca = true; // the handler's first FP instruction performed the lazy save
    expect(scb.read(0xf34, 4)).toBe(0xc000017a);
    scb.write(0xf38, 4, 0x20000ff7);
    expect(scb.read(0xf38, 4)).toBe(0x20000ff0);
    scb.write(0xf3c, 4, 0xffffffff);
    expect(scb.read(0xf3c, 4)).toBe(0x07c00000);
  });
});

describe('SCB ICSR', () => {
  it('reads 0x800 at reset, then VECTACTIVE, RETTOBASE, VECTPENDING and ISRPENDING', () => {
    expect(scb.read(0xd04, 4)).toBe(0x800);
    current = 11;
    state.activate(EXC.SVCALL);
    expect(scb.read(0xd04, 4)).toBe(0x80b);
    state.activate(IRQ(4));
    current = IRQ(4);
    expect(scb.read(0xd04, 4) & 0x800).toBe(0); // two active
    state.setPending(IRQ(1)); // disabled: ISRPENDING but not VECTPENDING
    expect(scb.read(0xd04, 4)).toBe((1 << 22) | IRQ(4));
    state.enabled[IRQ(1)] = true;
    expect(scb.read(0xd04, 4)).toBe((1 << 22) | (IRQ(1) << 12) | IRQ(4));
  });

  it('sets and clears PendSV and SysTick pending, set winning, and pends NMI', () => {
    scb.write(0xd04, 4, 1 << 28);
    expect(state.pending[EXC.PENDSV]).toBe(true);
    expect(scb.read(0xd04, 4) & (1 << 28)).toBe(1 << 28);
    expect((scb.read(0xd04, 4) >>> 12) & 0x1ff).toBe(EXC.PENDSV);
    scb.write(0xd04, 4, 1 << 27);
    expect(state.pending[EXC.PENDSV]).toBe(false);
    scb.write(0xd04, 4, (1 << 26) | (1 << 25));
    expect(state.pending[EXC.SYSTICK]).toBe(true);
    expect(scb.read(0xd04, 4) & (1 << 26)).toBe(1 << 26);
    scb.write(0xd04, 4, 1 << 25);
    expect(state.pending[EXC.SYSTICK]).toBe(false);
    scb.write(0xd04, 4, 0x80000000);
    expect(state.pending[EXC.NMI]).toBe(true);
    expect(scb.read(0xd04, 4)).toBe((0x80000000 | (EXC.NMI << 12) | 0x800) >>> 0);
  });
});

describe('SCB priorities, handler state and fault status', () => {
  it('gives SHPR byte access with RAZ/WI bytes for exceptions 7-10 and 13', () => {
    for (const off of [0xd18, 0xd1c, 0xd20]) scb.write(off, 4, 0xffffffff);
    expect(scb.read(0xd18, 4)).toBe(0x00ffffff);
    expect(scb.read(0xd1c, 4)).toBe(0xff000000);
    expect(scb.read(0xd20, 4)).toBe(0xffff00ff);
    scb.write(0xd1f, 1, 0x40); // SVCall
    expect(state.priority[EXC.SVCALL]).toBe(0x40);
    expect(scb.read(0xd1f, 1)).toBe(0x40);
    scb.write(0xd22, 2, 0x8070); // PendSV, SysTick
    expect(state.priority[EXC.PENDSV]).toBe(0x70);
    expect(state.priority[EXC.SYSTICK]).toBe(0x80);
    expect(scb.read(0xd20, 2)).toBe(0x00ff);
  });

  it('maps SHCSR bits to the active, pending and enable state of the system handlers', () => {
    expect(scb.read(0xd24, 4)).toBe(0);
    state.activate(EXC.SVCALL);
    state.activate(EXC.SYSTICK);
    state.pending[EXC.BUS_FAULT] = true;
    expect(scb.read(0xd24, 4)).toBe((1 << 7) | (1 << 11) | (1 << 14));
    scb.write(0xd24, 4, (1 << 16) | (1 << 17) | (1 << 18) | (1 << 3) | (1 << 15));
    expect(state.enabled[EXC.MEM_MANAGE] && state.enabled[EXC.BUS_FAULT] && state.enabled[EXC.USAGE_FAULT]).toBe(true);
    expect(state.active[EXC.USAGE_FAULT]).toBe(true);
    expect(state.active[EXC.SVCALL]).toBe(false);
    expect(state.pending[EXC.SVCALL]).toBe(true);
    expect(state.pending[EXC.BUS_FAULT]).toBe(false);
    expect(scb.read(0xd24, 4)).toBe(0x78008);
  });

  it('clears CFSR bits written as one, by byte, halfword or word', () => {
    faults.cfsr = 0x02018282;
    expect(scb.read(0xd28, 1)).toBe(0x82);
    expect(scb.read(0xd29, 1)).toBe(0x82);
    expect(scb.read(0xd2a, 2)).toBe(0x0201);
    scb.write(0xd29, 1, 0x80); // BFARVALID
    expect(faults.cfsr).toBe(0x02010282);
    scb.write(0xd2a, 2, 0x0200); // DIVBYZERO
    expect(faults.cfsr).toBe(0x00010282);
    scb.write(0xd28, 4, 0x00010002);
    expect(scb.read(0xd28, 4)).toBe(0x00000280);
    scb.write(0xd28, 1, 0xff00); // only the addressed byte
    expect(faults.cfsr).toBe(0x00000280);
  });

  it('clears HFSR bits written as one and keeps MMFAR/BFAR as written', () => {
    faults.hfsr = 0xc0000002;
    expect(scb.read(0xd2c, 4)).toBe(0xc0000002);
    scb.write(0xd2c, 4, 0x40000000);
    expect(scb.read(0xd2c, 4)).toBe(0x80000002);
    scb.write(0xd38, 4, 0x30000000);
    scb.write(0xd34, 4, 0x20000004);
    expect([faults.bfar, faults.mmfar]).toEqual([0x30000000, 0x20000004]);
    expect(scb.read(0xd38, 4)).toBe(0x30000000);
  });
});

describe('NVIC registers', () => {
  it('sets and clears enables through ISER/ICER, bits past the last IRQ being RAZ/WI', () => {
    nvic.write(0x100, 4, 0x80000005);
    expect([state.enabled[IRQ(0)], state.enabled[IRQ(2)], state.enabled[IRQ(31)], state.enabled[IRQ(1)]]).toEqual([true, true, true, false]);
    expect(nvic.read(0x100, 4)).toBe(0x80000005);
    expect(nvic.read(0x180, 4)).toBe(0x80000005);
    nvic.write(0x180, 4, 0x80000001);
    expect(nvic.read(0x100, 4)).toBe(4);
    nvic.write(0x101, 1, 0x01); // byte access: IRQ 8
    expect(state.enabled[IRQ(8)]).toBe(true);
    expect(nvic.read(0x101, 1)).toBe(1);
    nvic.write(0x104, 4, 0xffffffff); // ISER1: no IRQs 32-63
    expect(nvic.read(0x104, 4)).toBe(0);
    expect(state.enabled[EXC.SVCALL]).toBe(true);
  });

  it('sets and clears pending through ISPR/ICPR and shows active bits in read-only IABR', () => {
    nvic.write(0x200, 4, 0x12);
    expect(nvic.read(0x200, 4)).toBe(0x12);
    expect(nvic.read(0x280, 4)).toBe(0x12);
    nvic.write(0x280, 4, 0x02);
    expect(nvic.read(0x200, 4)).toBe(0x10);
    state.setIrqLevel(6, true);
    nvic.write(0x280, 4, 0x40); // line high, not active: stays pending
    expect(nvic.read(0x200, 4)).toBe(0x50);
    state.activate(IRQ(4));
    expect(nvic.read(0x300, 4)).toBe(0x10);
    nvic.write(0x300, 4, 0xffffffff);
    expect(nvic.read(0x300, 4)).toBe(0x10);
  });

  it('stores one priority byte per IRQ in IPR with byte, halfword and word access', () => {
    nvic.write(0x400, 4, 0x44332211);
    expect([1, 2, 3, 4].map((n) => state.priority[IRQ(n - 1)])).toEqual([0x11, 0x22, 0x33, 0x44]);
    expect(nvic.read(0x401, 1)).toBe(0x22);
    expect(nvic.read(0x402, 2)).toBe(0x4433);
    nvic.write(0x41f, 1, 0xff);
    expect(state.priority[IRQ(31)]).toBe(0xff);
    expect(nvic.read(0x41c, 4)).toBe(0xff000000);
    nvic.write(0x420, 4, 0xffffffff); // IRQs 32-35 do not exist
    expect(nvic.read(0x420, 4)).toBe(0);
  });

  it('reads ICTR 0 for 32 IRQs, pends through STIR and has QEMU ID registers', () => {
    expect(nvic.read(0x004, 4)).toBe(0);
    expect(new NvicRegisters(new ExceptionState(64, 8)).read(0x004, 4)).toBe(1);
    nvic.write(0xf00, 4, 5);
    expect(state.pending[IRQ(5)]).toBe(true);
    nvic.write(0xf00, 4, 0x200 | 7); // only INTID [8:0]
    expect(state.pending[IRQ(7)]).toBe(true);
    nvic.write(0xf00, 4, 40);
    expect(state.pending.filter(Boolean)).toHaveLength(2);
    expect(nvic.read(0xf00, 4)).toBe(0);
    const ids = [0xfe0, 0xfe4, 0xfe8, 0xfec, 0xff0, 0xff4, 0xff8, 0xffc].map((o) => nvic.read(o, 4));
    expect(ids).toEqual([0x00, 0xb0, 0x1b, 0x00, 0x0d, 0xe0, 0x05, 0xb1]);
  });
});

describe('MPU registers', () => {
  it('reads MPU_TYPE 0x800 and selects regions through RNR or RBAR.VALID', () => {
    const mpu = new MpuRegisters();
    expect(mpu.read(0xd90)).toBe(0x800);
    mpu.write(0xd94, 0xffffffff);
    expect(mpu.read(0xd94)).toBe(7);
    expect(mpu.enabled).toBe(true);
    mpu.write(0xd98, 2);
    mpu.write(0xd9c, 0x20000000);
    mpu.write(0xda0, 0x0306002b);
    mpu.write(0xd9c, 0x10000000 | 0x10 | 5); // VALID, REGION 5
    expect(mpu.read(0xd98)).toBe(5);
    expect(mpu.read(0xd9c)).toBe(0x10000005); // VALID reads 0, REGION = RNR
    mpu.write(0xd98, 2);
    expect(mpu.read(0xd9c)).toBe(0x20000002);
    expect(mpu.read(0xda0)).toBe(0x0306002b);
    expect(mpu.read(0xda4)).toBe(0x20000002); // RBAR_A1 alias
    mpu.reset();
    expect([mpu.read(0xd94), mpu.read(0xd98), mpu.read(0xd9c)]).toEqual([0, 0, 0]);
  });

  it('keeps every RASR field, TEX[2:0] included (QEMU keeps value & 0x173FFF3F)', () => {
    const mpu = new MpuRegisters();
    mpu.write(0xd98, 1);
    mpu.write(0xda0, 0x030b002b); // TEX=1 C=1 B=1: normal write-back memory
    expect(mpu.read(0xda0)).toBe(0x030b002b);
    mpu.write(0xda8, 0xffffffff); // RASR_A1: XN, AP, TEX, S, C, B, SRD, SIZE, ENABLE
    expect(mpu.read(0xda0)).toBe(0x173fff3f);
  });
});

describe('SystemSpace', () => {
  let time: FakeTime;
  let space: SystemSpace;
  let privileged: boolean;
  let written: number;
  let unimplemented: Array<[number, number, boolean]>;

  beforeEach(() => {
    time = new FakeTime();
    privileged = true;
    written = 0;
    unimplemented = [];
    const dwt = new Dwt(time, () => (scb.demcr & (1 << 24)) !== 0);
    traceEnableChanging = () => dwt.freeze();
    space = new SystemSpace({
      systick: new SysTick(time, { refHz: 1_000_000 }, () => state.setPending(EXC.SYSTICK)),
      dwt,
      scb,
      nvic,
      mpu: new MpuRegisters(),
      privileged: () => privileged,
      unimplemented: (offset, size, write) => unimplemented.push([offset, size, write]),
      written: () => written++,
    });
    space.reset();
  });

  const busError = (fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      expect(error).toBeInstanceOf(GuestBusError);
      return error as GuestBusError;
    }
    throw new Error('no bus error');
  };

  it('routes SCS offsets to SysTick, SCB, NVIC and MPU', () => {
    expect(space.read(0xe01c, 4)).toBe(0x270f);
    expect(space.read(0xed00, 4)).toBe(0x410fc240);
    space.write(0xe100, 4, 1);
    expect(state.enabled[IRQ(0)]).toBe(true);
    expect(space.read(0xed90, 4)).toBe(0x800);
    expect(space.read(0xed90, 2)).toBe(0);
    expect(unimplemented).toEqual([]);
    expect(space.read(0xe020, 4)).toBe(0); // SysTick window past CALIB
  });

  it('makes unprivileged accesses bus errors, except STIR writes with CCR.USERSETMPEND', () => {
    privileged = false;
    const e = busError(() => space.read(0xed00, 4));
    expect([e.address, e.write]).toEqual([0xe000ed00, false]);
    expect(busError(() => space.write(0xe100, 4, 1)).write).toBe(true);
    expect(state.enabled[IRQ(0)]).toBe(false);
    busError(() => space.write(0xef00, 4, 3));
    busError(() => space.read(0x0000, 4));
    expect(state.pending[IRQ(3)]).toBe(false);
    scb.ccr |= 2; // USERSETMPEND
    space.write(0xef00, 4, 3);
    expect(state.pending[IRQ(3)]).toBe(true);
    busError(() => space.read(0xef00, 4));
    expect(written).toBe(1);
  });

  it('requires word accesses to SysTick', () => {
    expect(busError(() => space.read(0xe010, 1)).address).toBe(0xe000e010);
    expect(busError(() => space.write(0xe014, 2, 5)).address).toBe(0xe000e014);
    expect(space.read(0xe014, 4)).toBe(0);
    space.write(0xe014, 4, 5);
    expect(space.read(0xe014, 4)).toBe(5);
  });

  it('reads unknown PPB addresses as 0, ignores writes to them and reports them', () => {
    expect(space.read(0x0000, 4)).toBe(0); // ITM
    space.write(0x2000, 4, 1); // FPB
    expect(space.read(0xe00c, 4)).toBe(0); // SCS hole
    expect(space.read(0xee00, 2)).toBe(0);
    expect(unimplemented).toEqual([
      [0x0000, 4, false],
      [0x2000, 4, true],
      [0xe00c, 4, false],
      [0xee00, 2, false],
    ]);
  });

  it('calls written after every write', () => {
    space.write(0xed04, 4, 1 << 28);
    space.write(0xe010, 4, 0);
    space.write(0xe400, 1, 0x40);
    space.write(0xed9c, 4, 0);
    space.write(0x1000, 4, 0);
    space.write(0x0000, 4, 0);
    expect(written).toBe(6);
    space.read(0xed04, 4);
    expect(written).toBe(6);
  });

  it('counts DWT CYCCNT while DEMCR.TRCENA and CYCCNTENA are set, from the value written', () => {
    space.write(0xedfc, 4, 1 << 24); // TRCENA
    space.write(0x1000, 4, 1); // CYCCNTENA
    time.advance(100);
    expect(space.read(0x1004, 4)).toBe(100);
    space.write(0x1004, 4, 5);
    time.advance(10);
    expect(space.read(0x1004, 4)).toBe(15);
    space.write(0x1000, 4, 0);
    time.advance(10);
    expect(space.read(0x1004, 4)).toBe(15);
  });

  it('does not count DWT CYCCNT for the cycles during which TRCENA was clear', () => {
    space.write(0x1000, 4, 1); // CYCCNTENA, TRCENA still clear
    time.advance(100);
    expect(space.read(0x1004, 4)).toBe(0);
    space.write(0xedfc, 4, 1 << 24); // TRCENA
    expect(space.read(0x1004, 4)).toBe(0);
    time.advance(100);
    expect(space.read(0x1004, 4)).toBe(100);
  });
});
