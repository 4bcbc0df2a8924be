/** The real slave: workloads booted into a session at quantum boundaries, budgets, results. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Finished, ReportBody, StepBody, WorkloadStart } from '../../hv/cluster/messages.ts';
import { SessionSlave } from '../../hv/cluster/slave/session-slave.ts';
import { imagePath } from '../helpers/run-system.ts';

const Q = 250_000;
const slaves: SessionSlave[] = [];
afterEach(() => slaves.splice(0).forEach((s) => s.close()));

async function slave(cores = 1): Promise<SessionSlave> {
  const s = new SessionSlave();
  slaves.push(s);
  const ready = await s.init({ kind: 'init', quantum: Q, slave: { name: 's', cores, memory: 64 << 20, vcpusPerCore: 4, ioLanes: 2, diskTiming: 'sd-spi', timing: 'instruction', sliceCycles: 25_000 } });
  expect(ready).toEqual({ kind: 'ready', capacity: { cores, memory: 64 << 20, vcpus: 4 * cores, io: 2 } });
  return s;
}

function start(name: string, image: string, o: { budget?: number; cmdline?: string; data?: boolean; disk?: number } = {}): WorkloadStart {
  const bytes = readFileSync(imagePath(image));
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return {
    name,
    attempt: 1,
    budget: o.budget ?? null,
    image: { label: `${image}.elf`, sha256, ...(o.data === false ? {} : { data: bytes.toString('base64') }) },
    guest: { cmdline: o.cmdline ?? '', 'console-limit': 4096, semihosting: true, ...(o.disk ? { 'io-path': 'emulated' as const, 'disk-size': o.disk } : {}) },
  };
}

function step(from: number, starts: WorkloadStart[] = [], fail = false): StepBody {
  return { kind: 'step', from, to: from + Q, start: starts, fail };
}

/** Steps quantum by quantum until nothing runs; every workload that finished. */
function drain(s: SessionSlave, first: StepBody): { finished: Finished[]; reports: ReportBody[] } {
  const reports = [s.step(first)];
  while (reports.at(-1)!.running.length > 0) reports.push(s.step(step(reports.at(-1)!.time)));
  return { finished: reports.flatMap((r) => r.finished), reports };
}

describe('the session slave', () => {
  it('runs a workload from the start of its quantum and reports its end, cycles and console', async () => {
    const s = await slave();
    const { finished, reports } = drain(s, step(Q, [start('h', 'hello')]));
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ name: 'h', state: 'halted', exitCode: 0, detail: 'exit code 0', start: Q });
    expect(finished[0]!.console).toEqual(['hello: booted', 'hello: sum(1..100) = 5050', 'hello: done']);
    expect(finished[0]!.end - Q).toBe(finished[0]!.cycles);
    expect(reports[0]!.busy).toBe(finished[0]!.cycles);
  });

  it('ends a workload when its CPU budget is used, exactly to the run step, also when it shares a core', async () => {
    const s = await slave();
    const budget = 600_000;
    const { finished } = drain(s, step(0, [start('a', 'compute', { budget }), start('b', 'spin', { budget: budget / 2 })]));
    const a = finished.find((f) => f.name === 'a')!;
    const b = finished.find((f) => f.name === 'b')!;
    for (const [f, limit] of [[a, budget], [b, budget / 2]] as const) {
      expect(f).toMatchObject({ state: 'ended', exitCode: null, detail: 'cycle budget used' });
      expect(f.cycles).toBeGreaterThanOrEqual(limit);
      expect(f.cycles).toBeLessThan(limit + 1000);
    }
    // Sharing one core, a's 600000 cycles end after b's 300000 and its own: about 900000 cycles in.
    expect(a.end).toBeGreaterThan(budget + budget / 2 - 1000);
    expect(a.end).toBeLessThan(budget + budget / 2 + 5000);
  });

  it('reports a workload it cannot boot as faulted at once, and one it has no image for', async () => {
    const s = await slave();
    const garbage = { ...start('bad', 'hello'), image: { label: 'bad.elf', sha256: 'f'.repeat(64), data: Buffer.from('\x7fELF nonsense').toString('base64') } };
    const report = s.step(step(0, [garbage, start('missing', 'hello', { data: false }), start('fine', 'hello')]));
    const byName = Object.fromEntries(report.finished.map((f) => [f.name, f]));
    expect(byName['bad']).toMatchObject({ state: 'faulted', cycles: 0 });
    expect(byName['bad']!.detail).toMatch(/^cannot boot: bad\.elf: /);
    expect(byName['missing']!.detail).toMatch(/^cannot boot: image hello\.elf \([0-9a-f]{12}\) was never sent to this slave$/);
    expect(byName['fine']?.state).toBe('halted');
  });

  it('sends an image once: later workloads refer to it by hash', async () => {
    const s = await slave();
    s.step(step(0, [start('h1', 'hello')]));
    const report = s.step(step(Q, [start('h2', 'hello', { data: false })]));
    expect(report.finished.map((f) => [f.name, f.state])).toEqual([['h2', 'halted']]);
  });

  it('gives an I/O workload a blank disk of its own and reports the time its requests spent in the device', async () => {
    const s = await slave();
    const { finished, reports } = drain(s, step(0, [start('io', 'ioload', { cmdline: 'requests=2', disk: 1 << 20 }), start('io2', 'ioload', { cmdline: 'requests=2', disk: 1 << 20 })]));
    for (const f of finished) {
      expect(f).toMatchObject({ state: 'halted', exitCode: 0 });
      expect(f.console).toContain('ioload: disk "hvlab-disk-' + (f.name === 'io' ? '0' : '1') + '", 2048 sectors');
      expect(f.console.some((l) => /ioload: 16 requests, 0 errors/.test(l))).toBe(true);
    }
    const ioBusy = reports.reduce((a, r) => a + r.ioBusy, 0);
    expect(ioBusy).toBeGreaterThan(100_000);
  });

  it('fails as a node: every workload ends as failed at the boundary and nothing runs any more', async () => {
    const s = await slave(2);
    s.step(step(0, [start('x', 'spin'), start('y', 'spin')]));
    const failed = s.step(step(Q, [], true));
    expect(failed.finished.map((f) => [f.name, f.state, f.end])).toEqual([['x', 'failed', Q], ['y', 'failed', Q]]);
    expect(failed.finished[0]!.cycles).toBeGreaterThan(Q - 1000);
    expect(s.step(step(2 * Q, [start('z', 'hello')]))).toEqual({ kind: 'report', time: 3 * Q, busy: 0, ioBusy: 0, running: [], finished: [] });
  });
});
