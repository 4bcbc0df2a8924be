/**
 * Where the hypervisor cuts a vCPU's run (a slice end, a stop of Session.runUntil) is not
 * something the guest can see: with cycle timing too, a guest run in pieces ends with the
 * instruction and cycle counts of one uninterrupted run. (A run that ended inside a block used to
 * pay a branch refill when it resumed there: ~1 cycle per hundred cuts.) A vCPU alone on the only
 * core runs past its slice ends; it ends as it does when cut at every slice.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import { Session } from '../../hv/system/session.ts';
import { REPO_ROOT } from '../helpers/run-system.ts';

const IMAGE = (name: string) => join(REPO_ROOT, 'firmware', 'build', `${name}.elf`);

/** The counts of `name` at its end, alone on one core, run in pieces of `piece` cycles (0: at once). */
async function countsAtEnd(name: string, piece: number, slice = 25_000): Promise<{ instructions: number; cycles: number; state: string }> {
  const config = validateSystem({ 'slice-cycles': slice, timing: 'cycle', guests: [{ name, image: IMAGE(name) }] }, 'slice-independence');
  const session = await Session.open(config);
  try {
    const end = 60_000_000;
    for (let at = piece; piece > 0 && at < end; at += piece) {
      if (session.runUntil({ cycles: at }).reason !== 'until-cycles') break;
    }
    session.runUntil({ cycles: end });
    const report = session.results().guests[0]!;
    return { instructions: report.instructions, cycles: report.cycles, state: report.state };
  } finally {
    session.close();
  }
}

describe('where a run is cut is invisible to the guest (cycle timing)', () => {
  it.each(['itcount', 'tasks', 'poke'])('%s run in pieces ends with the counts of one run', async (name) => {
    const reference = await countsAtEnd(name, 0);
    expect(reference.state).toBe('halted');
    for (const piece of [997, 7_777]) expect(await countsAtEnd(name, piece)).toEqual(reference);
  }, 120_000);

  it('a vCPU alone on the only core that runs past its slice ends ends as with short slices', async () => {
    // Pieces shorter than the slice: every slice end is a stop in both runs, so they compare the
    // long runs of a lone vCPU with runs cut at every slice.
    expect(await countsAtEnd('tasks', 0, 1_000)).toEqual(await countsAtEnd('tasks', 500, 1_000));
  }, 60_000);
});
