/**
 * Privilege, FAULTMASK, NMI and invalid exception returns on a real CortexM (ARMv7-M ARM B1.4.4
 * CONTROL, B1.5.8 exception return; QEMU 7.2 m_helper.c as summarised in qemu-mps2.md section 6).
 */
import { describe, expect, it } from 'vitest';
import { ARM_REG as R } from '../../hv/unicorn/constants.ts';
import { EXC_RETURN, STACK_TOP, rigsClosedAfterEach, thumbAddress as ta } from '../helpers/cortex-m-rig.ts';
import { HALT, REG } from '../helpers/thumb-m.ts';
import { thumb } from '../helpers/thumb.ts';

const start = rigsClosedAfterEach();

const SPIN = [0xe7fe]; // b .
const BX_LR = [0x4770]; // bx lr

/** Thread code that switches to unprivileged mode on PSP 0x20000800. */
const UNPRIVILEGED_PSP = [
  0xf640, 0x0000, // 0x100 movw r0, #0x0800
  0xf2c2, 0x0000, // 0x104 movt r0, #0x2000
  0xf380, 0x8809, // 0x108 msr psp, r0
  0x2003, //         0x10c movs r0, #3
  0xf380, 0x8814, // 0x10e msr control, r0   (nPRIV | SPSEL)
  0xf3bf, 0x8f6f, // 0x112 isb
];

describe('CortexM privilege', () => {
  it('runs handlers privileged and returns to the CONTROL.nPRIV the handler leaves', () => {
    const thread = thumb(
      UNPRIVILEGED_PSP,
      [0xdf00], //         0x116 svc #0
      [0xf64e, 0x5100], // 0x118 movw r1, #0xED00
      [0xf2ce, 0x0100], // 0x11c movt r1, #0xE000
      [0x6808], //         0x120 ldr r0, [r1]       (CPUID, privileged only)
      SPIN, //             0x122 b .
    );
    const handler = thumb(
      [0xf3ef, 0x8514], // mrs r5, control
      [0x2000], //         movs r0, #0
      [0xf380, 0x8814], // msr control, r0   (nPRIV = 0)
      BX_LR,
    );
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 5: ta(0x300), 11: ta(0x200) }, code: [[0x100, thread], [0x200, handler], [0x300, thumb(HALT)]] });
    r.ppbWrite(REG.SHCSR, 1 << 17);
    r.runUntil(() => r.cpu.pc() === 0x122);
    expect(r.entries.map((e) => [e.name, e.lr, e.frameAddress])).toEqual([['SVCall', EXC_RETURN.THREAD_PSP, 0x200007e0]]);
    expect(r.reg(R.R5)).toBe(1); // nPRIV kept, SPSEL clear in Handler mode
    expect(r.reg(R.CONTROL)).toBe(2);
    expect(r.reg(R.SP)).toBe(0x20000800);
    expect(r.reg(R.R0)).toBe(0x410fc240);
  });

  it('resets an unprivileged CPU to privileged Thread mode on MSP with cleared NVIC state', () => {
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100) }, code: [[0x100, thumb(UNPRIVILEGED_PSP, SPIN)]] });
    r.ppbWrite(REG.SYST_RVR, 1000);
    r.ppbWrite(REG.ISER0, 1);
    r.cpu.step();
    expect(r.reg(R.CONTROL)).toBe(3);
    r.cpu.pendNmi();
    r.cpu.reset();
    expect(r.reg(R.CONTROL)).toBe(0);
    expect(r.reg(R.SP)).toBe(STACK_TOP);
    expect(r.reg(R.MSP)).toBe(STACK_TOP);
    expect(r.cpu.pc()).toBe(0x100);
    expect(r.reg(R.XPSR) & 0x1ff).toBe(0);
    expect(r.cpu.exceptionState.pending.some(Boolean)).toBe(false);
    expect(r.cpu.exceptionState.enabled[16]).toBe(false);
    expect(r.ppbRead(REG.SYST_RVR)).toBe(0);
  });
});

describe('CortexM FAULTMASK and NMI', () => {
  it('takes NMI with FAULTMASK set, and keeps FAULTMASK across the NMI return', () => {
    const thread = thumb([0xb671], [0xbf00], SPIN); // 0x100 cpsid f; 0x102 nop; 0x104 b .
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 2: ta(0x200), 16: ta(0x200) }, code: [[0x100, thread], [0x200, thumb(BX_LR)]] });
    r.ppbWrite(REG.ISER0, 1);
    r.cpu.step();
    r.cpu.setIrq(0, true);
    r.cpu.step();
    expect(r.entries).toHaveLength(0);
    r.cpu.pendNmi();
    r.runUntil(() => r.returns.length > 0);
    expect(r.entries.map((e) => [e.name, e.lr, e.frame[6]])).toEqual([['NMI', EXC_RETURN.THREAD_MSP, 0x104]]);
    expect(r.reg(R.FAULTMASK)).toBe(1);
    expect(r.cpu.exceptionState.pending[16]).toBe(true);
  });

  it('clears FAULTMASK on return from any other exception', () => {
    const r = start({
      vectors: { 0: STACK_TOP, 1: ta(0x100), 11: ta(0x200) },
      code: [[0x100, thumb([0xdf00], SPIN)], [0x200, thumb([0xb671], BX_LR)]], // svc #0; b . / cpsid f; bx lr
    });
    r.runUntil(() => r.returns.length > 0);
    expect(r.returns[0]).toMatchObject({ name: 'SVCall', toThread: true, pc: 0x102 });
    expect(r.reg(R.FAULTMASK)).toBe(0);
  });
});

describe('CortexM invalid exception return', () => {
  it('raises INVPC on the existing frame, with LR still holding the bad EXC_RETURN', () => {
    const svcHandler = thumb(
      [0xf06f, 0x000a], // mvn.w r0, #10   (r0 = 0xFFFFFFF5)
      [0x4700], //         bx r0
    );
    const r = start({
      vectors: { 0: STACK_TOP, 1: ta(0x100), 3: ta(0x300), 11: ta(0x200) },
      code: [[0x100, thumb([0xdf00], SPIN)], [0x200, svcHandler], [0x300, thumb(HALT)]], // svc #0; b .
    });
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.log).toEqual(['entry SVCall', 'tail-return SVCall', 'tail-entry HardFault']);
    const [svc, hardFault] = r.entries;
    expect(hardFault).toMatchObject({ exception: 3, tailChained: true, lr: 0xfffffff5 });
    expect(hardFault!.msp).toBe(svc!.msp);
    expect(r.word(svc!.msp + 24)).toBe(0x102);
    expect(r.ppbRead(REG.CFSR)).toBe(1 << 18);
    expect(r.ppbRead(REG.HFSR)).toBe(1 << 30);
    expect(r.cpu.exceptionState.active[3]).toBe(true);
  });

  it('takes the INVPC UsageFault itself when enabled, the returning SVCall being deactivated', () => {
    const svcHandler = thumb([0xf06f, 0x000a], [0x4700]); // mvn.w r0, #10; bx r0
    const r = start({
      vectors: { 0: STACK_TOP, 1: ta(0x100), 3: ta(0x300), 6: ta(0x300), 11: ta(0x200) },
      code: [[0x100, thumb([0xdf00], SPIN)], [0x200, svcHandler], [0x300, thumb(HALT)]], // svc #0; b .
    });
    r.ppbWrite(REG.SHCSR, 1 << 18);
    expect(r.run()).toEqual({ kind: 'halted', exitCode: 0 });
    expect(r.entries.map((e) => [e.name, e.tailChained, e.lr])).toEqual([
      ['SVCall', false, EXC_RETURN.THREAD_MSP],
      ['UsageFault', true, 0xfffffff5],
    ]);
    expect(r.ppbRead(REG.CFSR)).toBe(1 << 18);
    expect(r.ppbRead(REG.HFSR)).toBe(0);
    expect(r.cpu.exceptionState.active[11]).toBe(false); // ExceptionReturn(): DeActivate(ReturnExceptionNumber) first
  });
});
