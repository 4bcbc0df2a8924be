/**
 * The instruction counter's budget is exact: a run stopped at any budget lands on the same PC
 * and registers as the same code single-stepped (budgets of one instruction), inside IT blocks,
 * on PC-reading code and across MMIO accesses, with the exact finish at the execute alias (RAM
 * mapped from host memory) and by retranslation (memory Unicorn allocates, no alias). Budgets
 * come from a seeded generator, so the test is deterministic.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readImage } from '../../hv/core/image.ts';
import { ARM_REG as R, UC_PROT } from '../../hv/unicorn/constants.ts';
import { Engine } from '../../hv/unicorn/engine.ts';
import { HostMemory } from '../../hv/unicorn/host-memory.ts';
import { imagePath } from '../helpers/run-system.ts';

const STATE = [R.R0, R.R1, R.R2, R.R3, R.R4, R.R5, R.R6, R.R7, R.R8, R.R9, R.R10, R.R11, R.R12, R.SP, R.LR, R.PC, R.XPSR];
const engines: Engine[] = [];

afterEach(() => {
  for (const e of engines.splice(0)) e.close();
});

/** An engine with the image loaded, SP and PC from its vector table, devices reading as 0. */
function boot(image: string, aliased: boolean): { engine: Engine; pc: number } {
  const e = Engine.open();
  engines.push(e);
  for (const base of [0x00000000, 0x20000000]) {
    if (aliased) e.mapHostMemory(base, new HostMemory(4 << 20), UC_PROT.ALL);
    else e.mapMemory(base, 4 << 20, UC_PROT.ALL);
  }
  e.mapMmio(0x40000000, 0x100000, () => 0, () => {});
  e.mapMmio(0xe0000000, 0x100000, () => 0, () => {});
  const img = readImage(imagePath(image));
  for (const s of img.segments) e.writeMemory(s.address, s.data);
  const table = e.readMemory(img.vectorTable, 8);
  e.writeRegister(R.SP, table.readUInt32LE(0));
  return { engine: e, pc: table.readUInt32LE(4) & ~1 };
}

function state(e: Engine): string {
  return STATE.map((id) => e.readRegister(id).toString(16)).join(' ');
}

/** Runs `budget` instructions from `pc`; returns the new PC. */
function step(e: Engine, pc: number, budget: number): number {
  e.counter.reset(budget);
  e.run(pc | 1);
  expect(e.counter.executed).toBe(budget);
  return e.readRegister(R.PC);
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0);
}

/** The state after each of the first `total` instructions, stepping one instruction at a time. */
function singleStep(image: string, aliased: boolean, total: number): string[] {
  const ref = boot(image, aliased);
  const states: string[] = [];
  let pc = ref.pc;
  for (let k = 0; k < total; k++) {
    pc = step(ref.engine, pc, 1);
    states.push(state(ref.engine));
  }
  return states;
}

describe.each([
  ['itcount', 60_000],
  ['crunch', 60_000],
])('exact budgets on %s', (image, total) => {
  const references = new Map<boolean, string[]>();
  const reference = (aliased: boolean) => {
    if (!references.has(aliased)) references.set(aliased, singleStep(image, aliased, total));
    return references.get(aliased)!;
  };

  it('single-stepping gives the same states with the finish at the alias and by retranslation', () => {
    expect(reference(true)).toEqual(reference(false));
  });

  it.each([true, false])('every stop equals single-stepping (execute alias: %s)', (aliased) => {
    const expected = reference(aliased);
    const run = boot(image, aliased);
    const next = lcg(7);
    let done = 0;
    let stops = 0;
    let pc = run.pc;
    while (done < total) {
      const budget = Math.min(total - done, 1 + (next() % 97));
      pc = step(run.engine, pc, budget);
      done += budget;
      stops++;
      expect(state(run.engine), `after ${done} instructions`).toBe(expected[done - 1]);
    }
    expect(stops).toBeGreaterThan(1000);
    const { alias, retranslated } = run.engine.counter.finishes;
    expect(aliased ? alias : retranslated).toBeGreaterThan(100);
  });
});
