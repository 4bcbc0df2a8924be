/**
 * Checkpoint and restore of the demo (four guests on two cores, one of them faulting): a
 * checkpoint taken at any point (a step boundary) and restored in a new session runs on to the
 * same console output, stats and trace as one uninterrupted run, with one cycle per instruction
 * and with cycle timing (there under the micro-slice policy, whose state the restore carries too);
 * scripted UART input not yet delivered at the checkpoint arrives as it would have.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSystemFile } from '../../hv/core/system-config.ts';
import type { Session } from '../../hv/system/session.ts';
import { readUartScript } from '../../hv/system/uart-script.ts';
import { type Outcome, PROBES, type Probe, checkpointDir, checkpointWhere, restoredRun, systemWith, uninterrupted } from '../helpers/checkpoint-run.ts';
import { REPO_ROOT } from '../helpers/run-system.ts';

const DEMO_FILE = join(REPO_ROOT, 'guests', 'demo.yaml');
const files = checkpointDir();
afterAll(() => files.remove());

/** Restores a checkpoint taken `at` and expects the uninterrupted run's outcome. */
async function expectSameRun(config: ReturnType<typeof loadSystemFile>, at: number | Probe, step: number, until: number, reference: Outcome): Promise<number> {
  const file = files.file(`demo-${Math.random().toString(36).slice(2)}.hvck`);
  const cycles = await checkpointWhere(config, at, file, { step });
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

describe('checkpoint and restore: UART input not yet delivered', () => {
  const config = loadSystemFile(join(REPO_ROOT, 'guests', 'debug-demo.yaml'));
  const input = readUartScript(join(REPO_ROOT, 'guests', 'echo-input.txt'), 25_000_000);
  /** The scripted input of `hv run guests/debug-demo.yaml --uart-input echo:guests/echo-input.txt`. */
  const typeInput = (s: Session) => {
    const feed = s.uartInput('echo');
    for (const event of input) feed.send(event.bytes, event.at);
  };
  const UNTIL = 12_000_000;
  let reference: Outcome;
  beforeAll(async () => {
    reference = await uninterrupted(config, UNTIL, typeInput);
  }, 60_000);

  const midLine = (s: Session) => s.uartInput('echo').delivered > 0 && s.uartInput('echo').pending > 0;
  it.each<[string, number | Probe]>([
    ['before any byte arrived', 20_000],
    ['in the middle of a line', midLine],
    ['between two parts of a line', 132_000],
  ])('%s', async (name, at) => {
    const file = files.file(`echo-${name.length}.hvck`);
    expect(await checkpointWhere(config, at, file, { prepare: typeInput, step: 1_000 })).toBeDefined();
    const restored = await restoredRun(file, UNTIL);
    expect(restored.lines).toBe(reference.lines);
    expect(restored.stats).toBe(reference.stats);
    expect(restored.events).toBe(reference.events);
  }, 60_000);

  it('checks something: the guest echoed every line', () => {
    expect(reference.lines).toContain('[echo] hello, echo\n[echo] typed on two lines\n[echo] quit');
  });
});
