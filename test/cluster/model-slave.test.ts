/** The modelled slave's fluid sharing of cores: alone at full speed, contended within the cores. */
import { describe, expect, it } from 'vitest';
import type { Profile, ReportBody, WorkloadStart } from '../../hv/cluster/messages.ts';
import { ModelSlave } from '../../hv/cluster/slave/model-slave.ts';

const Q = 100_000;

function profile(length: number, busy: number, io = 0): Profile {
  const windows = Math.ceil(length / Q);
  const per = (x: number) => Array.from({ length: windows }, (_, i) => Math.round(x * Math.min(Q, length - i * Q)));
  return { window: Q, busy: per(busy), io: io > 0 ? per(io) : [], length, state: 'halted', exitCode: 0 };
}

function start(name: string, p: Profile): WorkloadStart {
  return { name, attempt: 1, budget: null, image: { label: 'x.elf', sha256: '0'.repeat(64) }, guest: { cmdline: '', 'console-limit': 1024, semihosting: true }, profile: p };
}

async function simulate(cores: number, starts: WorkloadStart[]): Promise<ReportBody[]> {
  const slave = new ModelSlave();
  await slave.init({ kind: 'init', quantum: Q, slave: { name: 'm', cores, memory: 1 << 30, vcpusPerCore: 8, ioLanes: 2, diskTiming: 'sd-spi', timing: 'instruction', sliceCycles: 25_000 } });
  const reports = [slave.step({ kind: 'step', from: 0, to: Q, start: starts, fail: false })];
  while (reports.at(-1)!.running.length > 0) {
    const t = reports.at(-1)!.time;
    reports.push(slave.step({ kind: 'step', from: t, to: t + Q, start: [], fail: false }));
  }
  return reports;
}

const ends = (reports: ReportBody[]) => Object.fromEntries(reports.flatMap((r) => r.finished.map((f) => [f.name, f.end])));

describe('the modelled slave', () => {
  it('runs a workload alone exactly as long as its profile, using its CPU', async () => {
    const reports = await simulate(1, [start('a', profile(250_000, 0.6))]);
    expect(ends(reports)).toEqual({ a: 250_000 });
    expect(reports.reduce((s, r) => s + r.busy, 0)).toBe(150_000);
  });

  it('gives two CPU-bound workloads on one core half a core each', async () => {
    expect(ends(await simulate(1, [start('a', profile(200_000, 1)), start('b', profile(200_000, 1))]))).toEqual({ a: 400_000, b: 400_000 });
    expect(ends(await simulate(2, [start('a', profile(200_000, 1)), start('b', profile(200_000, 1))]))).toEqual({ a: 200_000, b: 200_000 });
  });

  it('never uses more CPU than the cores, and slows a part-time workload only in its CPU part', async () => {
    const reports = await simulate(1, [start('cpu', profile(300_000, 1)), start('half', profile(300_000, 0.5))]);
    for (const r of reports) expect(r.busy).toBeLessThanOrEqual(Q);
    const end = ends(reports);
    expect(end['half']!).toBeGreaterThan(300_000);
    expect(end['half']!).toBeLessThan(end['cpu']!);
    expect(reports.reduce((s, r) => s + r.busy, 0)).toBe(450_000);
  });

  it('reports the disk time of a profile with I/O, and nothing for one without', async () => {
    const reports = await simulate(1, [start('io', profile(200_000, 0.2, 0.5)), start('cpu', profile(100_000, 1))]);
    expect(reports.reduce((s, r) => s + r.ioBusy, 0)).toBe(100_000);
  });
});
