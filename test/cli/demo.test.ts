import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGISTER_NAMES } from '../helpers/firmware-output.ts';
import { type HvResult, guestLines, makeTempDir, runHv } from '../helpers/hv-cli.ts';

/** guests/demo.yaml, run twice with a trace and a stats file each. */
const tmp = makeTempDir('hvlab-demo-');
const runs: Array<{ result: HvResult; stats: string; trace: string }> = [];

beforeAll(() => {
  for (const name of ['first', 'second']) {
    const stats = join(tmp.dir, `${name}.stats.json`);
    const trace = join(tmp.dir, `${name}.trace.json`);
    runs.push({ result: runHv(['run', 'guests/demo.yaml', '--stats', stats, '--trace', trace]), stats, trace });
  }
}, 240_000);
afterAll(() => tmp.remove());

function stats(): any {
  return JSON.parse(readFileSync(runs[0]!.stats, 'utf8'));
}

function guest(name: string): any {
  return stats().guests.find((g: { name: string }) => g.name === name);
}

describe('hv run guests/demo.yaml', () => {
  it('exits 3 because the fault guest faulted', () => {
    expect(runs[0]!.result.status).toBe(3);
    expect(runs[1]!.result.status).toBe(3);
  });

  it('is deterministic: byte-identical stdout, stats file and trace file', () => {
    const [a, b] = runs;
    expect(a!.result.stdout.length).toBeGreaterThan(0);
    expect(b!.result.stdout).toBe(a!.result.stdout);
    const statsA = readFileSync(a!.stats);
    const statsB = readFileSync(b!.stats);
    expect(statsA.length).toBeGreaterThan(0);
    expect(statsB.equals(statsA)).toBe(true);
    const traceA = readFileSync(a!.trace);
    const traceB = readFileSync(b!.trace);
    expect(traceA.length).toBeGreaterThan(0);
    expect(traceB.equals(traceA)).toBe(true);
  });

  it('prints every guest line, each guest in its own order', () => {
    const lines = guestLines(runs[0]!.result.stdout);
    const of = (name: string) => lines.filter((l) => l.startsWith(`[${name}] `)).map((l) => l.slice(name.length + 3));
    expect(of('hello')).toEqual(['hello: booted', 'hello: sum(1..100) = 5050', 'hello: done']);
    const tasks = of('tasks');
    expect(tasks[0]).toBe('tasks: start');
    expect(tasks[tasks.length - 1]).toBe('tasks: done');
    for (const t of ['A', 'B']) {
      expect(tasks.filter((l) => l.startsWith(`task ${t}:`))).toEqual(Array.from({ length: 10 }, (_, i) => `task ${t}: step ${i + 1}`));
    }
    expect(tasks).toHaveLength(22);
    const fault = of('fault');
    expect(fault[0]).toBe('fault: reading unmapped address 0x30000000');
    expect(fault[1]).toBe('[hv] stopped (no-handler): HardFault has no handler (vector is 0)');
    expect(fault).toHaveLength(8);
    const compute = of('compute');
    expect(compute).toHaveLength(22);
    expect(compute[1]).toBe('compute: round 1 checksum 0x56bcc206');
    expect(compute[20]).toBe('compute: round 20 checksum 0x8b14a93b');
    expect(compute[21]).toBe('compute: done');
    expect(lines).toHaveLength(3 + 22 + 8 + 22);
  });

  it('ends with one summary row per guest', () => {
    const out = runs[0]!.result.stdout;
    expect(out).toMatch(/│ hello +│ 0 +│ halted +│.*│ exit 0 +│/);
    expect(out).toMatch(/│ tasks +│ 1 +│ halted +│.*│ exit 0 +│/);
    expect(out).toMatch(/│ fault +│ 0 +│ faulted +│.*│ HardFault at main\+0x16 +│/);
    expect(out).toMatch(/│ compute +│ 1 +│ halted +│.*│ exit 0 +│/);
    expect(out).toMatch(/\nrun ended: all-stopped at cycle \d+ \(\d+\.\d{6} s of virtual time at 25 MHz\)\n$/);
  });
});

describe('the stats file of the demo run', () => {
  it('describes the run', () => {
    const s = stats();
    expect(s.generator).toBe('hvlab');
    expect(s.board).toBe('mps2-an386');
    expect(s.clockHz).toBe(25_000_000);
    expect(s.cores).toBe(2);
    expect(s.endReason).toBe('all-stopped');
    expect(Number.isInteger(s.cycles)).toBe(true);
    expect(s.trace).toEqual({ droppedEvents: 0 });
    expect(s.guests.map((g: { name: string }) => g.name)).toEqual(['hello', 'tasks', 'fault', 'compute']);
    // The run ends when the busiest core does.
    const perCore = [0, 1].map((c) => s.guests.filter((g: { core: number }) => g.core === c));
    expect(perCore.map((gs) => gs.map((g: { name: string }) => g.name))).toEqual([
      ['hello', 'fault'],
      ['tasks', 'compute'],
    ]);
    for (const g of s.guests) expect(g.cycles).toBeLessThanOrEqual(s.cycles);
  });

  it('has state, instructions, cycles, exit code and console counters for each guest', () => {
    for (const name of ['hello', 'tasks', 'compute']) {
      const g = guest(name);
      expect(g.state, name).toBe('halted');
      expect(g.exitCode, name).toBe(0);
      expect(g.fault, name).toBeNull();
      expect(g.instructions, name).toBeGreaterThan(0);
      expect(g.cycles, name).toBeGreaterThan(g.instructions);
      expect(g.image, name).toMatch(new RegExp(`/firmware/build/${name}\\.elf$`));
    }
    expect(guest('hello').console).toEqual({ bytes: 52, lines: 3, dropped: 0 });
    expect(guest('compute').console.lines).toBe(22);
    expect(guest('compute').instructions).toBeGreaterThan(200_000_000);
  });

  it('counts exceptions and traps by kind', () => {
    const tasks = guest('tasks');
    expect(Object.keys(tasks.exceptions)).toEqual(['PendSV', 'SVCall', 'SysTick']);
    expect(tasks.exceptions.SVCall).toBe(1);
    expect(tasks.exceptions.SysTick).toBeGreaterThan(100);
    expect(tasks.traps.svc).toBe(1);
    expect(tasks.traps.semihosting).toBe(1);
    expect(tasks.traps.mmio).toBeGreaterThan(0);
    const hello = guest('hello');
    expect(hello.exceptions).toEqual({});
    expect(Object.keys(hello.traps)).toEqual(['mmio', 'semihosting']);
    expect(hello.traps.semihosting).toBe(1);
    const fault = guest('fault');
    expect(fault.exceptions).toEqual({});
    expect(fault.traps.fault).toBe(1);
  });

  it('reports the fault with status registers, core registers and pc', () => {
    const g = guest('fault');
    expect(g.state).toBe('faulted');
    expect(g.exitCode).toBeNull();
    const f = g.fault;
    expect(f.reason).toBe('no-handler');
    expect(f.kind).toBe('HardFault');
    expect(f.cause).toBe('precise data bus error reading 0x30000000');
    expect(f.detail.cfsr).toBe(0x8200); // PRECISERR | BFARVALID
    expect(f.detail.hfsr).toBe(0x40000000); // FORCED
    expect(f.detail.bfar).toBe(0x30000000);
    expect(f.detail.mmfar).toBe(0);
    expect(f.pc).toBe(0x60a);
    expect(f.registers.pc).toBe(f.pc);
    expect(f.registers.r3).toBe(0x30000000);
    expect(Object.keys(f.registers)).toEqual(REGISTER_NAMES);
  });

  it('has count, min, p50, p99, max and total for each event kind', () => {
    const events = stats().events as Record<string, Record<string, number>>;
    const kinds = Object.keys(events);
    expect(kinds).toEqual([...kinds].sort());
    for (const kind of ['vcpu-switch', 'vcpu-run', 'trap.mmio', 'trap.semihosting', 'trap.fault', 'exception-entry', 'exception-return', 'exception-handler']) {
      expect(kinds, kind).toContain(kind);
    }
    for (const [kind, e] of Object.entries(events)) {
      expect(Object.keys(e), kind).toEqual(['count', 'min', 'p50', 'p99', 'max', 'total']);
      expect(e.count, kind).toBeGreaterThan(0);
      expect(e.min, kind).toBeLessThanOrEqual(e.p50!);
      expect(e.p50, kind).toBeLessThanOrEqual(e.p99!);
      expect(e.p99, kind).toBeLessThanOrEqual(e.max!);
      expect(e.total, kind).toBeGreaterThanOrEqual(e.count! * e.min!);
      expect(e.total, kind).toBeLessThanOrEqual(e.count! * e.max!);
    }
    // Constant costs from the cost table: every MMIO trap costs the same.
    expect(events['trap.mmio']!.min).toBe(events['trap.mmio']!.max);
    const traps = stats().guests.reduce((n: number, g: { traps: Record<string, number> }) => n + (g.traps.mmio ?? 0), 0);
    expect(events['trap.mmio']!.count).toBe(traps);
  });
});
