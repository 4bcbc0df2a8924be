/** firmware/job, the cluster's parametric workload: its output, its CPU work and its sleeps. */
import { afterEach, describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import { Session } from '../../hv/system/session.ts';
import { imagePath } from '../helpers/run-system.ts';

/** The job's loop in JavaScript: xorshift32 from seed | 1, work × 1000 steps per round. */
function checksum(work: number, rounds: number, seed: number): string {
  let x = (seed | 1) >>> 0;
  for (let i = 0; i < work * 1000 * rounds; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
  }
  return `0x${x.toString(16).padStart(8, '0')}`;
}

const sessions: Session[] = [];
afterEach(() => sessions.splice(0).forEach((s) => s.close()));

async function run(cmdline: string) {
  const s = await Session.open(validateSystem({ guests: [{ name: 'job', image: imagePath('job'), cmdline }] }, 'job.yaml'));
  sessions.push(s);
  const result = s.runUntil();
  return { result, lines: s.consoleLines().map((l) => l.line), status: s.guest('job') };
}

describe('the job image', () => {
  it('computes the documented checksum, about 6 instructions per iteration, and exits 0', async () => {
    const { lines, status } = await run('work=20 rounds=3 seed=7');
    expect(lines).toEqual(['job: start work=20 sleep=0 rounds=3', `job: done checksum=${checksum(20, 3, 7)}`]);
    expect(status.report.exitCode).toBe(0);
    expect(status.report.instructions / 60_000).toBeGreaterThan(5.9);
    expect(status.report.instructions / 60_000).toBeLessThan(6.2);
  });

  it('sleeps in WFI after each round: the run takes the sleeps longer but uses no more CPU', async () => {
    const busy = await run('work=10 rounds=4');
    const sleepy = await run('work=10 sleep=2000 rounds=4');
    expect(sleepy.lines.at(-1)).toBe(busy.lines.at(-1));
    // 4 sleeps of 2 ms at 25 MHz: 200000 cycles more of virtual time, with the CPU idle.
    expect(sleepy.status.endedAt! - busy.status.endedAt!).toBeGreaterThanOrEqual(200_000);
    expect(sleepy.status.endedAt! - busy.status.endedAt!).toBeLessThan(210_000);
    expect(sleepy.status.report.cycles - busy.status.report.cycles).toBeLessThan(5_000);
    expect(sleepy.status.report.exceptions['SysTick']).toBe(4);
  });

  it('takes defaults for absent keys', async () => {
    expect((await run('rounds=1')).lines[0]).toBe('job: start work=100 sleep=0 rounds=1');
  });
});
