/**
 * Per-guest exception budgets: a guest that makes the hypervisor take exceptions as fast as it
 * can (firmware/build/storm.elf: SysTick every 2 cycles, a self-pending PendSV, SVC in a loop) is
 * throttled alone: past its budget its interrupts wait for the window's end, and after a
 * synchronous exception it stalls until then. Its neighbour's run is exactly what it is alone.
 *
 * Host speed itself is never asserted (no timing in tests): the proxy is the host work the
 * hypervisor does per virtual cycle, counted deterministically: engine runs (vCPU steps),
 * exception entries and traps. With the budget it is bounded by the budget; without it, it is
 * hundreds of times larger. `npm run bench` reports the host speeds (budgets, in bench/).
 */
import { describe, expect, it } from 'vitest';
import type { ExceptionBudgetLimits } from '../../hv/arch/cpu.ts';
import { DEFAULT_EXCEPTION_BUDGET, validateSystem } from '../../hv/core/system-config.ts';
import { ConfigError } from '../../hv/errors.ts';
import { Session } from '../../hv/system/session.ts';
import type { GuestReport } from '../../hv/trace/stats-file.ts';
import { imagePath } from '../helpers/run-system.ts';

const RUN = 5_000_000;
const SLICE = 25_000;

interface Guest {
  name: string;
  image: string;
  core: number;
  cmdline?: string;
  budget?: ExceptionBudgetLimits | false;
}

interface Work {
  /** vCPU steps (each one engine run) of each guest. */
  steps: Record<string, number>;
  reports: Record<string, GuestReport>;
  /** When each guest stopped (null: still running). */
  ended: Record<string, number | null>;
  lines: Array<{ guest: string; line: string }>;
}

async function run(guests: Guest[], until = RUN): Promise<Work> {
  const config = validateSystem(
    {
      cores: 2,
      'slice-cycles': SLICE,
      guests: guests.map((g) => ({ name: g.name, image: imagePath(g.image), core: g.core, cmdline: g.cmdline ?? '', ...(g.budget === undefined ? {} : { 'exception-budget': g.budget }) })),
    },
    'budget.yaml',
  );
  const session = await Session.open(config);
  try {
    const steps: Record<string, number> = {};
    for (const vm of session.internals.vms) {
      steps[vm.name] = 0;
      const step = vm.step.bind(vm);
      vm.step = (start, deadline) => {
        steps[vm.name]!++;
        return step(start, deadline);
      };
    }
    session.runUntil({ cycles: until });
    session.finish();
    const reports = Object.fromEntries(session.results().guests.map((g) => [g.name, g]));
    const ended = Object.fromEntries(guests.map((g) => [g.name, session.guest(g.name).endedAt]));
    return { steps, reports, ended, lines: [...session.consoleLines()] };
  } finally {
    session.close();
  }
}

const sum = (record: Record<string, number>) => Object.values(record).reduce((a, n) => a + n, 0);

/** Host work units of a guest per million virtual cycles: engine runs, exception entries, traps. */
function workPerMillion(work: Work, guest: string, cycles = RUN): number {
  const report = work.reports[guest]!;
  return ((work.steps[guest]! + sum(report.exceptions) + sum(report.traps)) * 1e6) / cycles;
}

const NEIGHBOUR: Guest = { name: 'neighbour', image: 'compute', core: 0 };
const storm = (cmdline: string, budget?: ExceptionBudgetLimits | false): Guest => ({ name: 'storm', image: 'storm', core: 1, cmdline, budget });
const WINDOWS = RUN / DEFAULT_EXCEPTION_BUDGET.window;

describe('an interrupt storm next to a neighbour', () => {
  it('is throttled alone: its exception entries stay within its budget, announced once, counted per window', async () => {
    const work = await run([NEIGHBOUR, storm('mode=systick reload=1')]);
    const s = work.reports['storm']!;
    expect(sum(s.exceptions)).toBeLessThanOrEqual(DEFAULT_EXCEPTION_BUDGET.entries * WINDOWS);
    expect(sum(s.exceptions)).toBeGreaterThanOrEqual(DEFAULT_EXCEPTION_BUDGET.entries * (WINDOWS - 1));
    expect(s.throttled).toEqual({ windows: WINDOWS, firstAt: expect.any(Number) });
    const notices = work.lines.filter((l) => l.line.startsWith('[hv] exception budget'));
    expect(notices).toEqual([
      {
        guest: 'storm',
        line: expect.stringMatching(
          new RegExp(`^\\[hv\\] exception budget used up: ${DEFAULT_EXCEPTION_BUDGET.entries} exception entries in the window of ${DEFAULT_EXCEPTION_BUDGET.window} cycles that ends at cycle ${DEFAULT_EXCEPTION_BUDGET.window} \\(at cycle \\d+\\)`),
        ),
      },
    ]);
    expect(work.reports['neighbour']!.throttled).toBeUndefined();
  });

  it('leaves the neighbour\'s run exactly as it is alone', async () => {
    const alone = await run([NEIGHBOUR]);
    const next = await run([NEIGHBOUR, storm('mode=systick reload=1')]);
    expect(next.reports['neighbour']).toEqual(alone.reports['neighbour']);
    expect(next.lines.filter((l) => l.guest === 'neighbour')).toEqual(alone.lines.filter((l) => l.guest === 'neighbour'));
  });

  it('bounds the host work per virtual cycle by the budget; without one it is hundreds of times more', async () => {
    const alone = await run([NEIGHBOUR]);
    const throttled = await run([NEIGHBOUR, storm('mode=systick reload=1')]);
    const unlimited = await run([NEIGHBOUR, storm('mode=systick reload=1', false)], RUN / 10);
    const budgetPerMillion = (DEFAULT_EXCEPTION_BUDGET.entries * 1e6) / DEFAULT_EXCEPTION_BUDGET.window;
    const slicesPerMillion = 1e6 / SLICE;
    // Each entry costs an engine run to take it and one to return from it; a window's end and a
    // slice's end cost one each.
    const bound = 3 * budgetPerMillion + slicesPerMillion + 1e6 / DEFAULT_EXCEPTION_BUDGET.window;
    console.log(
      `exception budget: host work units (engine runs + exception entries + traps) per 1M cycles: neighbour ${workPerMillion(alone, 'neighbour')}, ` +
        `storm throttled ${workPerMillion(throttled, 'storm')} (bound ${bound}), storm without a budget ${workPerMillion(unlimited, 'storm', RUN / 10)}`,
    );
    expect(workPerMillion(throttled, 'storm')).toBeLessThanOrEqual(bound);
    expect(workPerMillion(throttled, 'neighbour')).toBe(workPerMillion(alone, 'neighbour'));
    expect(workPerMillion(unlimited, 'storm', RUN / 10)).toBeGreaterThan(100 * bound);
  });
});

describe('storms of each kind', () => {
  it('holds a self-pending PendSV and stalls an SVC loop, each within the budget', async () => {
    for (const mode of ['pendsv', 'svc']) {
      const work = await run([storm(`mode=${mode}`)]);
      const s = work.reports['storm']!;
      // The synchronous exception that finds the budget used up is taken before the stall.
      expect(sum(s.exceptions), mode).toBeLessThanOrEqual((DEFAULT_EXCEPTION_BUDGET.entries + 1) * WINDOWS);
      expect(s.throttled?.windows, mode).toBe(WINDOWS);
      // A stall is not a WFI: the SVC loop never executes one.
      if (mode === 'svc') expect(s.traps['wfi']).toBeUndefined();
    }
  });

  it('delivers held interrupts when the window ends: a sleeping guest takes its ticks window by window', async () => {
    const { entries, window } = DEFAULT_EXCEPTION_BUDGET;
    const ticks = 2 * entries + 10;
    const work = await run([storm(`mode=systick reload=1 ticks=${ticks}`)], 50_000_000);
    // SysTick pends again while its handler runs, so the handler tail-chains into itself until the
    // budget holds it: thread mode sees the count once a window, a budget's worth later each time.
    expect(work.lines.map((l) => l.line)).toContain(`storm: ${3 * entries} ticks`);
    const s = work.reports['storm']!;
    expect(s.state).toBe('halted');
    expect(s.throttled?.windows).toBe(3);
    expect(work.ended['storm']).toBeGreaterThanOrEqual(2 * window);
    expect(work.ended['storm']).toBeLessThan(3 * window);
  });

  it('takes a configured budget per guest, and none with false', async () => {
    const loose = await run([storm('mode=systick reload=1', { entries: 100, window: 100_000 })], 1_000_000);
    expect(sum(loose.reports['storm']!.exceptions)).toBe(1000);
    const none = await run([storm('mode=systick reload=1', false)], 200_000);
    expect(none.reports['storm']!.throttled).toBeUndefined();
    expect(sum(none.reports['storm']!.exceptions)).toBeGreaterThan(10_000);
  });
});

describe('the exception-budget field', () => {
  it('names the field and what it expects', () => {
    const bad = (budget: unknown) => () => validateSystem({ guests: [{ name: 'g', image: 'g.elf', 'exception-budget': budget }] }, 'sys.yaml');
    expect(bad({ entries: 0, window: 1000 })).toThrow(ConfigError);
    expect(bad({ entries: 0, window: 1000 })).toThrow(/sys\.yaml: guests\[0\]\.exception-budget\.entries: /);
    expect(bad({ entries: 10, window: 10 })).toThrow(/guests\[0\]\.exception-budget\.window: /);
    expect(bad(true)).toThrow(/guests\[0\]\.exception-budget/);
    expect(bad({ entries: 10, window: 1000, burst: 3 })).toThrow(/unknown field "burst"/);
  });
});
