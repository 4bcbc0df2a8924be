/**
 * `hv run --checkpoint FILE` without `--checkpoint-at` saves where the run stops; at
 * `--until-cycles N` that is an exact stop: the steps that cross N are cut short there. Restored
 * and run on, such a checkpoint gives exactly what the same session gives when it goes on after
 * its stop (the same console lines, stats and trace file): the checkpoint holds everything a cut
 * step leaves behind (cycle timing's overshoot and branch-refill stream, the scheduler's slice
 * and credit state, I/O in flight). Going on after an exact stop is not the longer run that never
 * stopped: the loop decides again at the stop (README, Checkpoint and restore); a checkpoint at a
 * step boundary (`--checkpoint-at`, `runUntil({ exact: false })`) is, under cycle timing and with
 * the schedulers that slice time too. Each stop time falls inside a step on some core; with cycle
 * timing, credit and I/O-aware scheduling the exact stop changes what follows (seen when this was
 * written: another vCPU picked at the stop, the I/O rate sampled there).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SystemConfig } from '../../hv/core/system-config.ts';
import { Session } from '../../hv/system/session.ts';
import { statsJson } from '../../hv/trace/stats-file.ts';
import { checkpointDir, systemWith } from '../helpers/checkpoint-run.ts';
import { REPO_ROOT } from '../helpers/run-system.ts';

const IO_DEMO = join(REPO_ROOT, 'guests', 'io-demo.yaml');
const DEMO = join(REPO_ROOT, 'guests', 'demo.yaml');
const files = checkpointDir();
afterAll(() => files.remove());

interface Outcome {
  readonly lines: string;
  readonly stats: string;
  readonly trace: string;
}

/** Runs `session` to `end`, finishes and closes it: its console lines, stats and trace file. */
function finishRun(session: Session, end: number): Outcome {
  const file = files.file(`trace-${Math.random().toString(36).slice(2)}.json`);
  try {
    session.runUntil({ cycles: end });
    session.finish();
    session.writeTrace(file);
    return {
      lines: session.consoleLines().map((l) => `[${l.guest}] ${l.line}`).join('\n'),
      stats: statsJson(session.results()),
      trace: readFileSync(file, 'utf8'),
    };
  } finally {
    session.close();
  }
}

async function uninterrupted(config: SystemConfig, end: number): Promise<Outcome> {
  return finishRun(await Session.open(config, { trace: true }), end);
}

/** Runs `config` to exactly `stop`, then on to `end` in the same session. */
async function stoppedAndResumed(config: SystemConfig, stop: number, end: number): Promise<Outcome> {
  const session = await Session.open(config, { trace: true });
  expect(session.runUntil({ cycles: stop }).reason).toBe('until-cycles');
  return finishRun(session, end);
}

/** Runs `config` to `stop` (exactly, or to the step boundary at or after it), checkpoints there, and restores the checkpoint to `end`. */
async function checkpointedAtStop(config: SystemConfig, stop: number, end: number, exact = true): Promise<Outcome> {
  const file = files.file(`stop-${Math.random().toString(36).slice(2)}.hvck`);
  const session = await Session.open(config, { trace: true });
  try {
    expect(session.runUntil({ cycles: stop, exact }).reason).toBe('until-cycles');
    session.checkpoint(file);
  } finally {
    session.close();
  }
  return finishRun(await Session.restore(file, { trace: true }), end);
}

const CASES: Array<[string, () => SystemConfig, number, number]> = [
  ['the I/O demo', () => systemWith(IO_DEMO, {}), 499_999, 4_000_000],
  ['the I/O demo, cycle timing, credit', () => systemWith(IO_DEMO, { timing: 'cycle', scheduler: { policy: 'credit' } }), 777_777, 4_000_000],
  ['the I/O demo, cycle timing, credit (later)', () => systemWith(IO_DEMO, { timing: 'cycle', scheduler: { policy: 'credit' } }), 1_234_567, 4_000_000],
  ['the I/O demo, cycle timing, micro-slicing', () => systemWith(IO_DEMO, { timing: 'cycle', scheduler: { policy: 'micro-slice', threshold: 10 } }), 1_234_567, 4_000_000],
  ['the I/O demo, cycle timing, I/O-aware', () => systemWith(IO_DEMO, { timing: 'cycle', scheduler: { policy: 'io-aware', threshold: 10 } }), 1_234_567, 4_000_000],
  ['the demo, cycle timing, micro-slicing', () => systemWith(DEMO, { timing: 'cycle', scheduler: { policy: 'micro-slice', 'micro-slices': 8 } }), 2_999_999, 12_000_000],
];

describe.each(CASES)('%s: stopped at %i', (_name, config, stop, end) => {
  let resumed: Outcome;
  let reference: Outcome;
  beforeAll(async () => {
    resumed = await stoppedAndResumed(config(), stop, end);
    reference = await uninterrupted(config(), end);
  }, 120_000);

  it('exactly: restored from a checkpoint taken there, goes on as the session that stopped there', async () => {
    const restored = await checkpointedAtStop(config(), stop, end);
    expect(restored.lines).toBe(resumed.lines);
    expect(restored.stats).toBe(resumed.stats);
    expect(restored.trace).toBe(resumed.trace);
  }, 120_000);

  it('at the step boundary: restored from a checkpoint taken there, goes on as the run that did not stop', async () => {
    const restored = await checkpointedAtStop(config(), stop, end, false);
    expect(restored.lines).toBe(reference.lines);
    expect(restored.stats).toBe(reference.stats);
    expect(restored.trace).toBe(reference.trace);
  }, 120_000);
});
