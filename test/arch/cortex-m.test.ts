/**
 * A real CortexM running hand-encoded Thumb code: reset, exception entry and return (frame,
 * EXC_RETURN, MSP/PSP, alignment), tail-chaining, and when PRIMASK, BASEPRI and the NVIC enable
 * let a pending interrupt in. Expected values follow the ARMv7-M ARM (B1.5.6-B1.5.8) and QEMU 7.2.
 */
import { describe, expect, it } from 'vitest';
import { CONTROL_SPSEL } from '../../hv/arch/armv7m/cpu-registers.ts';
import { ARM_REG as R } from '../../hv/unicorn/constants.ts';
import { EXC_RETURN, STACK_TOP, rigsClosedAfterEach, thumbAddress as ta } from '../helpers/cortex-m-rig.ts';
import { R0_ICSR, R0_ISER0, REG } from '../helpers/thumb-m.ts';
import { thumb } from '../helpers/thumb.ts';

const start = rigsClosedAfterEach();

const BX_LR = [0x4770]; // bx lr
const SPIN = [0xe7fe]; // b .

describe('CortexM reset', () => {
  it('loads MSP and PC from the vector table at the reset VTOR', () => {
    const r = start({
      vectors: { 0: 0x20000ff8, 1: ta(0x100) },
      code: [
        [0x100, thumb([0x2401], SPIN)], // movs r4, #1; b .
        [0x400, Buffer.from([0x00, 0x08, 0x00, 0x20, 0x81, 0x01, 0x00, 0x00])], // SP 0x20000800, PC 0x181
      ],
    });
    expect(r.cpu.pc()).toBe(0x100);
    expect(r.reg(R.MSP)).toBe(0x20000ff8);
    expect(r.reg(R.SP)).toBe(0x20000ff8);
    expect(r.reg(R.LR)).toBe(0xffffffff);
    expect(r.reg(R.XPSR) & 0x1ff).toBe(0);
    expect(r.reg(R.CONTROL)).toBe(0);
    expect(r.ppbRead(REG.VTOR)).toBe(0);
    expect(r.cpu.step()).toEqual({ kind: 'ran' });
    expect(r.reg(R.R4)).toBe(1);

    // The same CPU with its reset VTOR elsewhere.
    const other = start({ vectors: {}, code: [[0x400, r.engine.readMemory(0x400, 8)]], resetVtor: 0x400 });
    expect(other.cpu.pc()).toBe(0x180);
    expect(other.reg(R.MSP)).toBe(0x20000800);
    expect(other.ppbRead(REG.VTOR)).toBe(0x400);
  });
});

describe('CortexM exception entry and return', () => {
  const svcThread = thumb(
    [0x4280], // 0x100 cmp r0, r0        (Z and C set)
    [0xdf01], // 0x102 svc #1
    [0x2401], // 0x104 movs r4, #1
    SPIN, //     0x106 b .
  );
  const clobber = thumb(
    [0x2001], // movs r0, #1
    [0x2802], // cmp r0, #2            (N set, Z and C clear)
    [0x2100], // movs r1, #0
    [0x2200], // movs r2, #0
    [0x2300], // movs r3, #0
    [0x4684], // mov ip, r0
    BX_LR,
  );

  it('SVC stacks the 8-word frame on MSP, enters SVCall with LR 0xFFFFFFF9 and returns after the SVC', () => {
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 11: ta(0x200) }, code: [[0x100, svcThread], [0x200, clobber]] });
    const initial: Array<[number, number]> = [[R.R0, 0x10], [R.R1, 0x11], [R.R2, 0x12], [R.R3, 0x13], [R.R12, 0x1c], [R.LR, 0x0badc0de]];
    for (const [id, value] of initial) r.engine.writeRegister(id, value);

    r.runUntil(() => r.returns.length > 0);
    expect(r.traps).toContainEqual({ kind: 'svc', detail: 'svc #1', pc: 0x102 });
    expect(r.entries).toHaveLength(1);
    const entry = r.entries[0]!;
    expect(entry).toMatchObject({ exception: 11, name: 'SVCall', tailChained: false, pc: 0x200, lr: EXC_RETURN.THREAD_MSP, ipsr: 11 });
    expect(entry.frameAddress).toBe(STACK_TOP - 0x20);
    expect(entry.msp).toBe(STACK_TOP - 0x20);
    expect(entry.frame).toEqual([0x10, 0x11, 0x12, 0x13, 0x1c, 0x0badc0de, 0x104, 0x61000000]);

    expect(r.returns).toEqual([{ exception: 11, name: 'SVCall', toThread: true, pc: 0x104, tailChain: false }]);
    for (const [id, value] of initial) expect(r.reg(id)).toBe(value);
    expect(r.reg(R.SP)).toBe(STACK_TOP);
    expect(r.cpu.pc()).toBe(0x104);
    expect((r.reg(R.XPSR) >>> 0).toString(16)).toBe('61000000');
    r.cpu.step();
    expect(r.reg(R.R4)).toBe(1);
  });

  it('from PSP thread mode stacks on PSP, returns with 0xFFFFFFFD and runs the handler on MSP with SPSEL clear', () => {
    const thread = thumb(
      [0xf640, 0x0000], // 0x100 movw r0, #0x0800
      [0xf2c2, 0x0000], // 0x104 movt r0, #0x2000
      [0xf380, 0x8809], // 0x108 msr psp, r0
      [0x2002], //         0x10c movs r0, #2
      [0xf380, 0x8814], // 0x10e msr control, r0   (SPSEL = 1)
      [0xf3bf, 0x8f6f], // 0x112 isb
      [0xdf02], //         0x116 svc #2
      SPIN, //             0x118 b .
    );
    const handler = thumb(
      [0xf3ef, 0x8514], // mrs r5, control
      [0xf3ef, 0x8609], // mrs r6, psp
      [0x466f], //         mov r7, sp
      BX_LR,
    );
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 11: ta(0x200) }, code: [[0x100, thread], [0x200, handler]] });
    r.runUntil(() => r.returns.length > 0);
    const entry = r.entries[0]!;
    expect(entry.lr).toBe(EXC_RETURN.THREAD_PSP);
    expect(entry.psp).toBe(0x200007e0);
    expect(entry.msp).toBe(STACK_TOP);
    expect(entry.frameAddress).toBe(0x200007e0);
    expect(entry.frame[6]).toBe(0x118);
    expect(r.reg(R.R5)).toBe(0); // CONTROL in the handler: SPSEL reads 0
    expect(r.reg(R.R6)).toBe(0x200007e0);
    expect(r.reg(R.R7)).toBe(STACK_TOP); // SP in the handler is MSP
    expect(r.returns[0]).toMatchObject({ exception: 11, toThread: true, pc: 0x118 });
    expect(r.reg(R.CONTROL) & CONTROL_SPSEL).toBe(CONTROL_SPSEL);
    expect(r.reg(R.SP)).toBe(0x20000800);
    expect(r.cpu.regs.stackPointers()).toEqual({ msp: STACK_TOP, psp: 0x20000800 });
  });

  it('aligns the frame to 8 bytes, records it in xPSR bit 9 and undoes it on return', () => {
    const thread = thumb(
      [0xb081], // 0x100 sub sp, #4   (SP = 0x20000FFC)
      [0xdf03], // 0x102 svc #3
      SPIN, //     0x104 b .
    );
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 11: ta(0x200) }, code: [[0x100, thread], [0x200, thumb(BX_LR)]] });
    r.runUntil(() => r.returns.length > 0);
    const entry = r.entries[0]!;
    expect(entry.frameAddress).toBe(0x20000fd8);
    expect(entry.frame[6]).toBe(0x104);
    expect(entry.frame[7]! & (1 << 9)).toBe(1 << 9);
    expect(r.reg(R.SP)).toBe(0x20000ffc);
    expect(r.reg(R.XPSR) & (1 << 9)).toBe(0);
  });

  it('without CCR.STKALIGN stacks at SP - 32 and leaves xPSR bit 9 clear', () => {
    const thread = thumb([0xb081], [0xdf03], SPIN); // sub sp, #4; svc #3; b .
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 11: ta(0x200) }, code: [[0x100, thread], [0x200, thumb(BX_LR)]] });
    r.ppbWrite(REG.CCR, 0);
    r.runUntil(() => r.returns.length > 0);
    expect(r.entries[0]!.frameAddress).toBe(0x20000fdc);
    expect(r.entries[0]!.frame[7]! & (1 << 9)).toBe(0);
    expect(r.reg(R.SP)).toBe(0x20000ffc);
  });
});

describe('CortexM tail-chaining', () => {
  it('enters a PendSV pended by the SVC handler on its return without unstacking', () => {
    const svcHandler = thumb(
      R0_ICSR, //          movw r0, #0xED04; movt r0, #0xE000
      [0xf04f, 0x5180], // mov.w r1, #0x10000000   (PENDSVSET)
      [0x6001], //         str r1, [r0]
      BX_LR,
    );
    const r = start({
      vectors: { 0: STACK_TOP, 1: ta(0x100), 11: ta(0x200), 14: ta(0x240) },
      code: [[0x100, thumb([0xdf00], SPIN)], [0x200, svcHandler], [0x240, thumb(BX_LR)]], // svc #0; b .
    });
    r.runUntil(() => r.returns.some((e) => !e.tailChain));
    expect(r.log).toEqual(['entry SVCall', 'tail-return SVCall', 'tail-entry PendSV', 'return PendSV']);
    expect(r.returns[0]).toEqual({ exception: 11, name: 'SVCall', toThread: false, pc: 0x240, tailChain: true });
    const [svc, pendsv] = r.entries;
    expect(pendsv).toMatchObject({ exception: 14, tailChained: true, pc: 0x240, lr: EXC_RETURN.THREAD_MSP, ipsr: 14 });
    // Same frame: nothing was unstacked or pushed again.
    expect(pendsv!.msp).toBe(svc!.msp);
    expect(pendsv!.frame).toEqual(svc!.frame);
    expect(pendsv!.frame[6]).toBe(0x102);
    expect(r.returns[1]).toEqual({ exception: 14, name: 'PendSV', toThread: true, pc: 0x102, tailChain: false });
    expect(r.reg(R.SP)).toBe(STACK_TOP);
    expect(r.cpu.exceptionState.active.some(Boolean)).toBe(false);
  });

  it('takes two exceptions pended together by number and tail-chains the second', () => {
    const thread = thumb(
      [0xb672], //         0x100 cpsid i
      R0_ICSR, //          0x102 movw/movt r0, ICSR
      [0xf04f, 0x51a0], // 0x10a mov.w r1, #0x14000000  (PENDSVSET | PENDSTSET)
      [0x6001], //         0x10e str r1, [r0]
      [0xb662], //         0x110 cpsie i
      [0x2401], //         0x112 movs r4, #1
      SPIN, //             0x114 b .
    );
    const r = start({
      vectors: { 0: STACK_TOP, 1: ta(0x100), 14: ta(0x200), 15: ta(0x240) },
      code: [[0x100, thread], [0x200, thumb(BX_LR)], [0x240, thumb(BX_LR)]],
    });
    r.runUntil(() => r.returns.some((e) => !e.tailChain));
    expect(r.log).toEqual(['entry PendSV', 'tail-return PendSV', 'tail-entry SysTick', 'return SysTick']);
    expect(r.entries[0]!.frame[6]).toBe(0x112);
    expect(r.returns[1]!.pc).toBe(0x112);
  });
});

describe('CortexM interrupt masking', () => {
  it('holds an interrupt while PRIMASK is set and takes it right after cpsie i', () => {
    const thread = thumb(
      [0xb672], //         0x100 cpsid i
      R0_ISER0, //         0x102 movw/movt r0, NVIC_ISER0
      [0x2101], //         0x10a movs r1, #1
      [0x6001], //         0x10c str r1, [r0]           (ISER0 = 1)
      [0xf8c0, 0x1100], // 0x10e str.w r1, [r0, #0x100]  (ISPR0 = 1)
      [0xbf00], //         0x112 nop
      [0xbf00], //         0x114 nop
      [0xb662], //         0x116 cpsie i
      [0x2401], //         0x118 movs r4, #1
      SPIN, //             0x11a b .
    );
    const handler = thumb([0x4625], BX_LR); // mov r5, r4; bx lr
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 16: ta(0x200) }, code: [[0x100, thread], [0x200, handler]] });
    r.engine.writeRegister(R.R5, 0xff);
    r.runUntil(() => r.returns.length > 0);
    expect(r.entries).toHaveLength(1);
    expect(r.entries[0]).toMatchObject({ exception: 16, name: 'IRQ0', tailChained: false });
    expect(r.entries[0]!.frame[6]).toBe(0x118);
    expect(r.reg(R.R5)).toBe(0); // the handler ran before movs r4, #1
    r.cpu.step();
    expect(r.reg(R.R4)).toBe(1);
  });

  it('lets BASEPRI hold lower-priority interrupts only, until it is cleared', () => {
    const thread = thumb(
      [0xf24e, 0x4000], // 0x100 movw r0, #0xE400
      [0xf2ce, 0x0000], // 0x104 movt r0, #0xE000       (NVIC_IPR0)
      [0xf242, 0x0180], // 0x108 movw r1, #0x2080       (IRQ0 0x80, IRQ1 0x20)
      [0x6001], //         0x10c str r1, [r0]
      [0x2140], //         0x10e movs r1, #0x40
      [0xf381, 0x8811], // 0x110 msr basepri, r1
      R0_ISER0, //         0x114 movw/movt r0, NVIC_ISER0
      [0x2103], //         0x11c movs r1, #3
      [0x6001], //         0x11e str r1, [r0]           (ISER0 = 3)
      [0xf8c0, 0x1100], // 0x120 str.w r1, [r0, #0x100]  (ISPR0 = 3)
      [0xbf00], //         0x124 nop
      [0x2100], //         0x126 movs r1, #0
      [0xf381, 0x8811], // 0x128 msr basepri, r1
      [0x2401], //         0x12c movs r4, #1
      SPIN, //             0x12e b .
    );
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 16: ta(0x200), 17: ta(0x200) }, code: [[0x100, thread], [0x200, thumb(BX_LR)]] });
    r.runUntil(() => r.returns.length >= 2);
    expect(r.entries.map((e) => [e.name, e.frame[6]])).toEqual([
      ['IRQ1', 0x124],
      ['IRQ0', 0x12c],
    ]);
    expect(r.reg(R.BASEPRI)).toBe(0);
  });

  it('takes a pending interrupt right after the store to NVIC_ISER that enables it', () => {
    const thread = thumb(
      R0_ISER0, // 0x100 movw/movt r0, NVIC_ISER0
      [0x2101], // 0x108 movs r1, #1
      [0xbf00], // 0x10a nop
      [0x6001], // 0x10c str r1, [r0]
      [0x2401], // 0x10e movs r4, #1
      SPIN, //     0x110 b .
    );
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 16: ta(0x200) }, code: [[0x100, thread], [0x200, thumb(BX_LR)]] });
    r.ppbWrite(REG.ISPR0, 1);
    expect(r.cpu.step()).toEqual({ kind: 'ran' });
    expect(r.entries).toHaveLength(0);
    expect(r.cpu.pc()).toBe(0x10e);
    r.runUntil(() => r.returns.length > 0);
    expect(r.entries).toHaveLength(1);
    expect(r.entries[0]!.frame[6]).toBe(0x10e);
    expect(r.returns[0]).toMatchObject({ exception: 16, toThread: true, pc: 0x10e });
  });

  it('re-enters a level-sensitive interrupt while its line stays high', () => {
    const r = start({ vectors: { 0: STACK_TOP, 1: ta(0x100), 16: ta(0x200) }, code: [[0x100, thumb(SPIN)], [0x200, thumb(BX_LR)]] });
    r.ppbWrite(REG.ISER0, 1);
    r.cpu.setIrq(0, true);
    r.runUntil(() => r.entries.length >= 3);
    expect(r.entries.slice(0, 3).map((e) => e.name)).toEqual(['IRQ0', 'IRQ0', 'IRQ0']);
    r.cpu.setIrq(0, false);
    const seen = r.entries.length;
    r.runUntil(() => false, 5);
    expect(r.entries.length).toBe(seen);
    expect(r.cpu.exceptionState.pending[16]).toBe(false);
    expect(r.cpu.exceptionState.active[16]).toBe(false);
  });
});
