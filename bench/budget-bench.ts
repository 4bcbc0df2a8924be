/**
 * Per-guest budgets against an interrupt storm: the host speed of a CPU-bound neighbour
 * (crunch.elf on core 0) alone, and next to a guest on core 1 that makes the hypervisor work as
 * hard as it can per virtual cycle (storm.elf: SysTick reloading every 2 cycles, WFI between).
 * The storm runs with the default exception budget, with a strict one, and with none; a second
 * CPU-bound guest is the reference (two busy guests share one host thread: about 2x by itself).
 * Ratios of alternating runs, median and range; the aim is the issue's: the neighbour within 2x
 * of running alone. The tests assert the deterministic proxy (test/isolation/exception-budget.test.ts).
 */
import { join } from 'node:path';
import { validateSystem } from '../hv/core/system-config.ts';
import { Session } from '../hv/system/session.ts';
import { aim, median, spread } from './aims.ts';

type Budget = false | { entries: number; window: number } | undefined;

interface Neighbour {
  /** Host seconds of the run. */
  seconds: number;
  /** The neighbour's guest instructions. */
  instructions: number;
  /** Exception entries of the other guest. */
  entries: number;
}

async function run(firmware: string, cycles: number, other: 'none' | 'busy' | 'storm', budget?: Budget): Promise<Neighbour> {
  const guests: Array<Record<string, unknown>> = [{ name: 'crunch', image: join(firmware, 'crunch.elf'), core: 0 }];
  if (other === 'busy') guests.push({ name: 'busy', image: join(firmware, 'crunch.elf'), core: 1 });
  if (other === 'storm') guests.push({ name: 'storm', image: join(firmware, 'storm.elf'), core: 1, cmdline: 'mode=systick reload=1', ...(budget === undefined ? {} : { 'exception-budget': budget }) });
  const session = await Session.open(validateSystem({ cores: 2, guests }, 'bench'));
  try {
    const started = process.hrtime.bigint();
    session.runUntil({ cycles });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const reports = session.results().guests;
    const entries = Object.values(reports[1]?.exceptions ?? {}).reduce((a, n) => a + n, 0);
    return { seconds, instructions: reports[0]!.instructions, entries };
  } finally {
    session.close();
  }
}

/** Neighbour MIPS alone divided by neighbour MIPS next to `other`: how many times slower it runs. */
async function slowdown(firmware: string, cycles: number, other: 'busy' | 'storm', budget: Budget, trials: number): Promise<{ ratios: number[]; entries: number }> {
  const ratios: number[] = [];
  let entries = 0;
  for (let i = 0; i < trials; i++) {
    const alone = await run(firmware, cycles, 'none');
    const next = await run(firmware, cycles, other, budget);
    entries = next.entries;
    ratios.push(alone.instructions / alone.seconds / (next.instructions / next.seconds));
  }
  return { ratios, entries };
}

export async function budgetBench(firmware: string, trials = 5): Promise<void> {
  const cycles = 40_000_000;
  await run(firmware, 2_000_000, 'storm');
  console.log(`exception budgets: crunch.elf on core 0 for ${cycles / 1e6}M cycles, alone and next to a guest on core 1 (median of ${trials} alternating pairs)`);
  const busy = await slowdown(firmware, cycles, 'busy', undefined, trials);
  console.log(`  next to a second CPU-bound guest (reference)     ${median(busy.ratios).toFixed(2)}x slower (${spread(busy.ratios)})`);
  const storm = await slowdown(firmware, cycles, 'storm', undefined, trials);
  console.log(`  next to a SysTick storm, default budget          ${median(storm.ratios).toFixed(2)}x slower (${spread(storm.ratios)}), ${storm.entries} storm entries`);
  aim('neighbour next to an interrupt storm (default budget), slowdown', median(storm.ratios), 'x', '<=', 2, spread(storm.ratios));
  const loose = await slowdown(firmware, cycles, 'storm', { entries: 1000, window: 1_000_000 }, trials);
  console.log(`  next to a SysTick storm, 1000 entries per 1M     ${median(loose.ratios).toFixed(2)}x slower (${spread(loose.ratios)}), ${loose.entries} storm entries`);
  // Without a budget the storm is hundreds of times slower: a shorter run, compared per cycle.
  const unlimited = await slowdown(firmware, cycles / 20, 'storm', false, Math.min(trials, 3));
  console.log(`  next to a SysTick storm, no budget (${cycles / 20e6}M cycles) ${median(unlimited.ratios).toFixed(0)}x slower (${spread(unlimited.ratios, 0)}), ${unlimited.entries} storm entries`);
}
