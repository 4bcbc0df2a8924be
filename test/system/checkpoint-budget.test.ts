/**
 * Checkpoint and restore while a guest's exception budget is used up: the window's count, the
 * held asynchronous exceptions, a stalled vCPU after a synchronous exception and the event that
 * ends the window all travel in the checkpoint, so the restored run goes on exactly as the
 * uninterrupted one (throttled windows counted once, the stalled guest released at the same cycle).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import type { Session } from '../../hv/system/session.ts';
import { type Outcome, checkpointDir, checkpointWhere, restoredRun, uninterrupted } from '../helpers/checkpoint-run.ts';
import { imagePath } from '../helpers/run-system.ts';

const files = checkpointDir();
afterAll(() => files.remove());

const UNTIL = 3_000_000;
const BUDGET = { entries: 40, window: 200_000 };

function stormSystem(mode: string) {
  return validateSystem(
    {
      cores: 2,
      'slice-cycles': 25_000,
      guests: [
        { name: 'hello', image: imagePath('hello'), core: 0 },
        { name: 'storm', image: imagePath('storm'), core: 1, cmdline: `mode=${mode} reload=1`, 'exception-budget': BUDGET },
      ],
    },
    'storm.yaml',
  );
}

/** The storm guest has used up its window and waits for it to end. */
const throttledNow = (s: Session) => {
  const storm = s.internals.vms.find((vm) => vm.name === 'storm')!;
  return storm.alive && storm.stats.throttled !== undefined && storm.cpu.sleeping;
};

describe.each(['systick', 'svc'])('checkpoint and restore: a %s storm held by its exception budget', (mode) => {
  const config = stormSystem(mode);
  let reference: Outcome;
  beforeAll(async () => {
    reference = await uninterrupted(config, UNTIL);
  }, 60_000);

  it('the uninterrupted run is throttled in several windows', () => {
    const storm = JSON.parse(reference.stats).guests.find((g: { name: string }) => g.name === 'storm');
    expect(storm.throttled.windows).toBeGreaterThan(5);
  });

  it.each<[string, number | typeof throttledNow]>([
    ['while throttled', throttledNow],
    ['in a later window', 1_234_567],
  ])('%s', async (_name, at) => {
    const file = files.file(`storm-${mode}-${typeof at}.hvck`);
    expect(await checkpointWhere(config, at, file, { step: 1_000 })).toBeDefined();
    const restored = await restoredRun(file, UNTIL);
    expect(restored.lines).toBe(reference.lines);
    expect(restored.stats).toBe(reference.stats);
    expect(restored.events).toBe(reference.events);
  }, 60_000);
});
