/**
 * `timing: cycle`: each instruction costs its Cortex-M4 cycles (classes from the Cortex-M4 TRM),
 * decoded with capstone per block; a taken branch adds the pipeline refill.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCapstone } from '../../hv/arch/armv7m/capstone.ts';
import { BRANCH_PENALTY, instructionCycles } from '../../hv/arch/armv7m/cycle-timing.ts';
import { STACK_TOP, rigsClosedAfterEach } from '../helpers/cortex-m-rig.ts';
import { HALT } from '../helpers/thumb-m.ts';
import { thumb } from '../helpers/thumb.ts';

beforeAll(async () => {
  await loadCapstone();
});

describe('instruction classes', () => {
  it.each([
    ['movs', 'r0, #1', 1],
    ['adds', 'r0, r0, r1', 1],
    ['mul', 'r0, r1, r2', 1],
    ['mla', 'r0, r1, r2, r3', 1],
    ['umull', 'r0, r1, r2, r3', 1],
    ['ldr', 'r0, [r1, #4]', 2],
    ['strb', 'r0, [r1]', 2],
    ['ldrd', 'r0, r1, [r2]', 3],
    ['push', '{r4, r5, r6, r7, lr}', 6],
    ['pop', '{r4, pc}', 3],
    ['ldm.w', 'r2, {r3, r4, r5}', 4],
    ['vpush', '{d8, d9}', 5],
    ['vldm', 'r0, {s0, s1, s2}', 4],
    ['udiv', 'r0, r1, r2', 7],
    ['sdiv', 'r0, r1, r2', 7],
    ['vdiv.f32', 's0, s1, s2', 14],
    ['vsqrt.f32', 's0, s1', 14],
    ['vmla.f32', 's0, s1, s2', 3],
    ['vadd.f32', 's0, s1, s2', 1],
    ['vldr', 's0, [r0]', 2],
    ['isb', 'sy', 3],
    ['dsb', 'sy', 2],
    ['b', '#0x100', 1],
  ])('%s %s: %i', (mnemonic, operands, cycles) => {
    expect(instructionCycles(mnemonic, operands)).toBe(cycles);
  });
});

/** Cycles the guest spends from reset to its halt, with `code` placed before HALT (SVC handler: `bx lr` at 0x200). */
function cyclesOf(code: readonly number[], timing: 'instruction' | 'cycle'): number {
  const rig = newRig({
    vectors: { 0: STACK_TOP, 1: 0x101, 11: 0x201 },
    code: [
      [0x100, thumb(code, HALT)],
      [0x200, thumb([0x4770])],
    ],
    timing,
    budget: 1_000_000,
  });
  let total = 0;
  const outcome = rig.runUntil(() => {
    total += rig.cpu.lastCycles;
    return false;
  });
  expect(outcome.kind).toBe('halted');
  return total;
}

const newRig = rigsClosedAfterEach();

// Checked with arm-none-eabi-as/objdump -d.
const SEQUENCE = [
  0x2220, //         movs r2, #32          1
  0x0612, //         lsls r2, r2, #24      1   (r2 = 0x20000000)
  0x6813, //         ldr r3, [r2, #0]      2
  0x6053, //         str r3, [r2, #4]      2
  0xb4f0, //         push {r4-r7}          5
  0xbcf0, //         pop {r4-r7}           5
  0xe000, //         b.n +4 (taken)        1 + refill
  0xbf00, //         nop                   (skipped)
  0x2000, //         movs r0, #0           1
  0x2801, //         cmp r0, #1            1
  0xd000, //         beq.n +4 (not taken)  1
  0xbf00, //         nop                   1
  0x2101, //         movs r1, #1           1
  0xfbb1, 0xf0f1, // udiv r0, r1, r1       7
  0x4348, //         muls r0, r1, r0       1
  0xe892, 0x0038, // ldmia.w r2, {r3-r5}   4
];

describe('a guest under timing: cycle', () => {
  it('is charged each instruction its class cycles and the refill of the taken branch only', () => {
    const extra = cyclesOf(SEQUENCE, 'cycle') - cyclesOf([], 'cycle');
    expect(extra).toBe(34 + BRANCH_PENALTY);
  });

  it('counts one cycle per instruction under timing: instruction', () => {
    expect(cyclesOf(SEQUENCE, 'instruction') - cyclesOf([], 'instruction')).toBe(15);
  });

  it('charges the same cycles when the code runs again from its cached decode', () => {
    // Two iterations through the same (decoded once) block. Checked with arm-none-eabi-as.
    const loop = [
      0x2602, // 0x100 movs r6, #2
      0x2220, // 0x102 movs r2, #32
      0x0612, // 0x104 lsls r2, r2, #24   <- loop
      0x6813, // 0x106 ldr r3, [r2, #0]
      0x6053, // 0x108 str r3, [r2, #4]
      0x3e01, // 0x10a subs r6, #1
      0xd1fa, // 0x10c bne.n 0x104
    ];
    const cycles = cyclesOf(loop, 'cycle') - cyclesOf([], 'cycle');
    // movs + movs, then twice lsls 1 + ldr 2 + str 2 + subs 1 + bne 1, plus the refill once.
    expect(cycles).toBe(2 + 2 * 7 + BRANCH_PENALTY);
  });

  it('charges no refill for the hypervisor\'s exception entry and return (their costs include it)', () => {
    // svc #0 (1) → handler bx lr (1) → back after the svc: only the two instructions.
    expect(cyclesOf([0xdf00], 'cycle') - cyclesOf([], 'cycle')).toBe(2);
  });
});
