/**
 * Checkpoint and restore of the demo (four guests on two cores, one of them faulting): a
 * checkpoint taken at any point (a step boundary) and restored in a new session runs on to the
 * same console output, stats and trace as one uninterrupted run, with one cycle per instruction
 * and with cycle timing (there under the micro-slice policy, whose state the restore carries too).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSystemFile } from '../../hv/core/system-config.ts';
import { type Outcome, PROBES, type Probe, checkpointDir, checkpointWhere, restoredRun, systemWith, uninterrupted } from '../helpers/checkpoint-run.ts';
import { REPO_ROOT } from '../helpers/run-system.ts';

const DEMO_FILE = join(REPO_ROOT, 'guests', 'demo.yaml');
const files = checkpointDir();
afterAll(() => files.remove());

/** Restores a checkpoint taken `at` and expects the uninterrupted run's outcome. */
async function expectSameRun(config: ReturnType<typeof loadSystemFile>, at: number | Probe, step: number, until: number, reference: Outcome): Promise<number> {
  const file = files.file(`demo-${Math.random().toString(36).slice(2)}.hvck`);
  const cycles = await checkpointWhere(config, at, file, step);
  expect(cycles).toBeDefined();
  const restored = await restoredRun(file, until);
  expect(restored.lines).toBe(reference.lines);
  expect(restored.stats).toBe(reference.stats);
  expect(restored.events).toBe(reference.events);
  return cycles!;
}

describe('checkpoint and restore: the demo', () => {
  const config = loadSystemFile(DEMO_FILE);
  const UNTIL = 30_000_000;
  let reference: Outcome;
  beforeAll(async () => {
    reference = await uninterrupted(config, UNTIL);
  }, 60_000);

  it.each<[string, number | Probe]>([
    ['before the first instruction', 0],
    ['in the first slices', 12_000],
    ['after the fault guest was stopped', 400_000],
    ['in the middle', 2_500_000],
    ['while a guest waits for an interrupt', PROBES.asleep],
    ['near the end', 25_000_000],
  ])('%s', async (_name, at) => {
    await expectSameRun(config, at, 100_000, UNTIL, reference);
  }, 60_000);

  it('checks something: the trace is long and the run has all four guests', () => {
    expect(JSON.parse(reference.events).length).toBeGreaterThan(3_000);
    expect(reference.lines).toContain('[fault] [hv] stopped');
    expect(reference.lines).toContain('[tasks] tasks: done');
  });
});

describe('checkpoint and restore: the demo with cycle timing', () => {
  const config = systemWith(DEMO_FILE, { timing: 'cycle', scheduler: { policy: 'micro-slice' } });
  const UNTIL = 15_000_000;
  let reference: Outcome;
  beforeAll(async () => {
    reference = await uninterrupted(config, UNTIL);
  }, 60_000);

  it.each<[string, number | Probe]>([
    ['early', 30_000],
    ['while a guest waits for an interrupt', PROBES.asleep],
  ])('%s', async (_name, at) => {
    await expectSameRun(config, at, 100_000, UNTIL, reference);
  }, 60_000);
});
