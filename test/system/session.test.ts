/**
 * The session API: open a system file, run it in steps, read results, finish, close. A run in
 * steps gives the same console output, stats and trace as one run; runs after finish() or
 * close() are refused; migrate() moves a guest between cores.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Session } from '../../hv/system/session.ts';
import { ConfigError, UsageError } from '../../hv/errors.ts';
import { REPO_ROOT, imagePath } from '../helpers/run-system.ts';
import { rejected, thrown } from '../helpers/thrown.ts';

const DEMO = join(REPO_ROOT, 'guests', 'demo.yaml');

async function demo(steps: number[]): Promise<{ lines: string; stats: string; events: string }> {
  const session = await Session.open(DEMO, { trace: true });
  try {
    for (const cycles of steps) session.runUntil({ cycles });
    session.runUntil();
    session.finish();
    return {
      lines: session.consoleLines().map((l) => `[${l.guest}] ${l.line}`).join('\n'),
      stats: JSON.stringify(session.results()),
      events: JSON.stringify(session.events()),
    };
  } finally {
    session.close();
  }
}

describe('Session', () => {
  it('gives the same console output, stats and trace whether the demo runs in one go or in steps', async () => {
    const once = await demo([]);
    const stepped = await demo([1_000_000, 2_500_000, 40_000_000]);
    expect(stepped.lines).toBe(once.lines);
    expect(stepped.stats).toBe(once.stats);
    expect(stepped.events).toBe(once.events);
    expect(once.lines).toContain('[hello] hello: booted');
    expect(JSON.parse(once.events).length).toBeGreaterThan(1000);
  }, 60_000);

  it('stops at the cycle asked for, reports it, and goes on from there', async () => {
    const session = await Session.open(DEMO);
    try {
      const first = session.runUntil({ cycles: 1_000_000 });
      expect(first.reason).toBe('until-cycles');
      expect(session.now).toBeGreaterThanOrEqual(1_000_000);
      expect(session.results().guests.some((g) => g.state === 'running')).toBe(true);
      const rest = session.runUntil();
      expect(rest.reason).toBe('all-stopped');
      expect(session.results().guests.map((g) => g.state)).toEqual(['halted', 'halted', 'faulted', 'halted']);
    } finally {
      session.close();
    }
  }, 60_000);

  it('stops after a console line that matches', async () => {
    const session = await Session.open(DEMO);
    try {
      expect(session.runUntil({ line: /task B: step 3/ }).reason).toBe('until-line');
      expect(session.consoleLines().at(-1)?.line).toMatch(/task B: step 3/);
    } finally {
      session.close();
    }
  }, 60_000);

  it('opens a single image as one guest named after the file', async () => {
    const session = await Session.open(imagePath('hello'));
    try {
      session.runUntil();
      expect(session.results().guests.map((g) => [g.name, g.state, g.exitCode])).toEqual([['hello', 'halted', 0]]);
    } finally {
      session.close();
    }
  });

  it('refuses to run after finish() and anything after close()', async () => {
    const session = await Session.open(imagePath('hello'));
    session.finish();
    thrown(() => session.runUntil(), UsageError);
    session.close();
    session.close();
    thrown(() => session.results(), UsageError);
  });

  it('migrates a guest to another core and refuses a core or a guest that does not exist', async () => {
    const session = await Session.open(DEMO, { trace: true });
    try {
      session.runUntil({ cycles: 500_000 });
      session.migrate('compute', 0);
      session.runUntil();
      const compute = session.results().guests.find((g) => g.name === 'compute')!;
      expect(compute.core).toBe(0);
      expect(compute.state).toBe('halted');
      expect(session.events().filter((e) => e.kind === 'vcpu-migrate')).toEqual([
        expect.objectContaining({ guest: 'compute', from: 1, to: 0 }),
      ]);
      thrown(() => session.migrate('compute', 7), UsageError);
      thrown(() => session.migrate('nobody', 0), UsageError);
    } finally {
      session.close();
    }
  }, 60_000);

  it('rejects a missing system file with a configuration error naming it', async () => {
    const error = await rejected(() => Session.open(join(REPO_ROOT, 'no-such-system.yaml')), ConfigError, 'HV_CONFIG');
    expect(error.message).toContain('no-such-system.yaml');
  });
});
