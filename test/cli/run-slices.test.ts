/**
 * `hv run` runs a system in slices of virtual time (to show progress, honour --timeout and read
 * the terminal between them). Slicing must change nothing: the console, the stats and the trace
 * events of a run in slices equal those of one uninterrupted run.
 */
import { describe, expect, it } from 'vitest';
import { Session } from '../../hv/system/session.ts';
import { statsJson } from '../../hv/trace/stats-file.ts';
import { DEMO } from '../helpers/hv-cli.ts';
import { SLICE_CYCLES, driveRun } from '../../hv/cli/run-driver.ts';
import { validateSystem } from '../../hv/core/system-config.ts';
import { imagePath } from '../helpers/run-system.ts';

async function outcome(file: string, run: (s: Session) => Promise<void> | void) {
  const session = await Session.open(file, { trace: true });
  try {
    await run(session);
    session.finish();
    return { lines: JSON.stringify(session.consoleLines()), stats: statsJson(session.results()), events: JSON.stringify(session.events()) };
  } finally {
    session.close();
  }
}

describe('running in slices', () => {
  it.each([DEMO, 'guests/io-demo.yaml'])('%s: the CLI driver, odd slices and one run give the same console, stats and trace', async (file) => {
    const whole = await outcome(file, (s) => void s.runUntil());
    const driven = await outcome(file, async (s) => void (await driveRun(s, {})));
    const odd = await outcome(file, (s) => {
      while (s.runUntil({ cycles: s.now + 77_777 }).reason === 'until-cycles');
    });
    expect(SLICE_CYCLES).toBeLessThan(JSON.parse(whole.stats).cycles);
    for (const other of [driven, odd]) {
      expect(other.lines).toBe(whole.lines);
      expect(other.stats).toBe(whole.stats);
      expect(other.events).toBe(whole.events);
    }
  }, 240_000);

  it('goes on while every guest sleeps past a slice end (the slices advance without them)', async () => {
    // job sleeps 100 ms (2.5 M cycles, more than a slice) between its two rounds.
    const session = await Session.open(validateSystem({ guests: [{ name: 'job', image: imagePath('job'), cmdline: 'work=10 sleep=100000 rounds=2' }] }, 'sleepy.yaml'));
    try {
      const { result } = await driveRun(session, {});
      expect(result.reason).toBe('all-stopped');
      expect(session.now).toBeGreaterThan(2 * SLICE_CYCLES);
      expect(session.guest('job').report.exitCode).toBe(0);
    } finally {
      session.close();
    }
  }, 30_000);
});
