/**
 * Instruction counts in IT blocks against QEMU's -icount: firmware/itcount measures five loops
 * (plain, ite, itttt, itete, itt-mixed) with SysTick on the processor clock. Under hvlab's
 * default timing one tick is one instruction, so the per-iteration counts are exact; under QEMU
 * (-icount shift=0: one instruction per nanosecond, a 25 MHz clock) a tick is about 40
 * instructions, calibrated with the plain loop. Condition-failed IT instructions must count as
 * executed in both. Skipped when qemu-system-arm is not on PATH.
 */
import { describe, expect, it } from 'vitest';
import { QEMU, runQemu } from '../helpers/qemu.ts';
import { runImage } from '../helpers/run-system.ts';

/** Instructions per iteration of each loop (the static count; failed IT instructions included). */
const EXPECTED: Record<string, number> = { plain: 6, ite: 6, itttt: 8, itete: 8, 'itt-mixed': 7 };

/** name -> ticks per iteration, from lines `itcount: name n1 t1 n2 t2`. */
function ticksPerIteration(lines: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of lines) {
    const m = /^itcount: (\S+) (\d+) (\d+) (\d+) (\d+)$/.exec(line);
    if (m) out[m[1]!] = (Number(m[5]) - Number(m[3])) / (Number(m[4]) - Number(m[2]));
  }
  return out;
}

describe('instruction counts in IT blocks', () => {
  it('hvlab counts every instruction of an IT block, the condition-failed ones included', async () => {
    const run = await runImage('itcount');
    expect(run.reports['itcount']!.exitCode).toBe(0);
    expect(ticksPerIteration(run.lines['itcount']!)).toEqual(EXPECTED);
  });

  it.skipIf(!QEMU)('QEMU -icount counts the same instructions per iteration as hvlab', async () => {
    const qemu = await runQemu('itcount');
    expect(qemu.code).toBe(0);
    const ticks = ticksPerIteration(qemu.lines);
    expect(Object.keys(ticks).sort()).toEqual(Object.keys(EXPECTED).sort());
    const scale = EXPECTED['plain']! / ticks['plain']!;
    expect(scale).toBeCloseTo(40, 0);
    const hvlab = ticksPerIteration((await runImage('itcount')).lines['itcount']!);
    for (const name of Object.keys(EXPECTED)) {
      expect(ticks[name]! * scale, name).toBeCloseTo(hvlab[name]!, 1);
    }
  });
});
