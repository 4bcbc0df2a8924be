/**
 * Isolation between guests: one system on 2 cores runs well-behaved guests (hello, tasks,
 * compute) next to misbehaving ones (scan, stomp and wildjump fault; flood floods its UART; spin
 * masks interrupts and spins). The well-behaved guests must print what they print alone and exit
 * 0, each misbehaving guest must be contained (stopped, cut off or preempted), no guest's memory
 * may be written by another, and the whole run must be deterministic.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { Vm } from '../../hv/core/vm.ts';
import {
  CFSR,
  COMPUTE_OUTPUT,
  HELLO_OUTPUT,
  SCAN_OUTPUT,
  STOMP_END,
  STOMP_OUTPUT,
  STOMP_PATTERN,
  floodLetters,
  linesOfTask,
  taskSteps,
} from '../helpers/firmware-output.ts';
import { type GuestSpec, type SystemRun, runImage, runSystem } from '../helpers/run-system.ts';

const SRAM_BASE = 0x20000000;
const STOMP_BYTES = STOMP_END - SRAM_BASE;
const FLOOD_LIMIT = 1000;
/** compute alone needs about 207M cycles; the rest of core 0 finishes within about 2M more. */
const UNTIL = 260_000_000;

/**
 * Core 0: hello and compute next to the three faulting guests. Core 1: tasks (preemptive, driven
 * by SysTick) shares its core with the flood and the interrupt-masking spinner.
 */
const GUESTS: GuestSpec[] = [
  { name: 'hello', core: 0 },
  { name: 'tasks', core: 1 },
  { name: 'compute', core: 0 },
  { name: 'scan', core: 0 },
  { name: 'stomp', core: 0 },
  { name: 'wildjump', core: 0 },
  { name: 'flood', core: 1, consoleLimit: FLOOD_LIMIT },
  { name: 'spin', core: 1 },
];

/** SRAM words [SRAM_BASE, STOMP_END) of a guest: the range stomp overwrites in its own memory. */
function stompedRange(vm: Vm): Buffer {
  return vm.engine.readMemory(SRAM_BASE, STOMP_BYTES);
}

/** Words of `ram` (read from SRAM_BASE) that hold stomp's pattern for their address. */
function stompWords(ram: Buffer): number {
  let count = 0;
  for (let offset = 0; offset < ram.length; offset += 4) {
    if (ram.readUInt32LE(offset) === (STOMP_PATTERN ^ (SRAM_BASE + offset)) >>> 0) count++;
  }
  return count;
}

interface MixedRun {
  run: SystemRun;
  ram: Record<string, Buffer>;
}

async function runMixed(): Promise<MixedRun> {
  const ram: Record<string, Buffer> = {};
  const run = await runSystem(GUESTS, {
    cores: 2,
    untilCycles: UNTIL,
    inspect: (system) => {
      for (const vm of system.vms) ram[vm.name] = Buffer.from(stompedRange(vm));
    },
  });
  return { run, ram };
}

/** A guest alone on one core, and its SRAM after the run. */
async function runAlone(image: string): Promise<MixedRun> {
  const ram: Record<string, Buffer> = {};
  const run = await runImage(image, { inspect: (_system, vm) => (ram[image] = Buffer.from(stompedRange(vm(image)))) });
  return { run, ram };
}

describe('8 guests on 2 cores: hello, tasks, compute with scan, stomp, wildjump, flood and spin', () => {
  let mixed: MixedRun;
  const alone: Record<string, MixedRun> = {};

  beforeAll(async () => {
    mixed = await runMixed();
    for (const image of ['hello', 'tasks', 'compute']) alone[image] = await runAlone(image);
  }, 120_000);

  it('runs until the cycle limit (flood and spin never stop), every guest on its configured core', () => {
    expect(mixed.run.result.reason).toBe('until-cycles');
    expect(mixed.run.result.cycles).toBeGreaterThanOrEqual(UNTIL);
    for (const g of GUESTS) expect(mixed.run.reports[g.name]!.core).toBe(g.core);
  });

  it('hello and compute print exactly what they print alone, and exit 0', () => {
    for (const [image, expected] of [
      ['hello', HELLO_OUTPUT],
      ['compute', COMPUTE_OUTPUT],
    ] as const) {
      expect(alone[image]!.run.lines[image]).toEqual(expected);
      expect(mixed.run.lines[image]).toEqual(alone[image]!.run.lines[image]);
      const report = mixed.run.reports[image]!;
      expect(report.state).toBe('halted');
      expect(report.exitCode).toBe(0);
      expect(report.console.dropped).toBe(0);
    }
  });

  it('tasks prints the same lines as alone, each task in its own order, and exits 0', () => {
    const mine = mixed.run.lines.tasks!;
    const solo = alone.tasks!.run.lines.tasks!;
    expect(mine[0]).toBe('tasks: start');
    expect(mine.at(-1)).toBe('tasks: done');
    for (const task of ['A', 'B'] as const) {
      expect(linesOfTask(mine, task)).toEqual(taskSteps(task));
      expect(linesOfTask(mine, task)).toEqual(linesOfTask(solo, task));
    }
    expect([...mine].sort()).toEqual([...solo].sort());
    const report = mixed.run.reports.tasks!;
    expect(report.state).toBe('halted');
    expect(report.exitCode).toBe(0);
    expect(report.exceptions.PendSV).toBeGreaterThanOrEqual(1);
  });

  it.each([
    ['scan', SCAN_OUTPUT, CFSR.PRECISERR | CFSR.BFARVALID, 0x24000000],
    ['stomp', STOMP_OUTPUT, CFSR.PRECISERR | CFSR.BFARVALID, 0x24000000],
    ['wildjump', ['wildjump: jumping to 0x30000001'], CFSR.IBUSERR, 0],
  ])('%s is stopped for its own fault after printing what it prints alone', (image, output, cfsr, bfar) => {
    const report = mixed.run.reports[image]!;
    expect(report.state).toBe('faulted');
    expect(report.exitCode).toBeNull();
    expect(report.fault?.reason).toBe('no-handler');
    expect(report.fault?.detail['cfsr']).toBe(cfsr);
    expect(report.fault?.detail['bfar']).toBe(bfar);
    expect(mixed.run.output(image)).toEqual(output);
    expect(mixed.run.notices(image)[0]).toMatch(/^stopped \(no-handler\): /);
  });

  it("flood's output is cut at its console limit with one notice, and flood keeps running", () => {
    const header = 'flood: start';
    expect(mixed.run.lines.flood).toEqual([
      header,
      floodLetters(FLOOD_LIMIT - header.length - 1),
      `[hv] console limit of ${FLOOD_LIMIT} bytes reached; further output is dropped`,
    ]);
    const report = mixed.run.reports.flood!;
    expect(report.state).toBe('running');
    expect(report.console.bytes).toBe(FLOOD_LIMIT);
    expect(report.console.dropped).toBeGreaterThan(0);
  });

  it('spin keeps running with interrupts masked, yet its core-mate tasks still finishes', () => {
    expect(mixed.run.lines.spin).toEqual(['spin: start']);
    const spin = mixed.run.reports.spin!;
    expect(spin.state).toBe('running');
    expect(spin.fault).toBeNull();
    expect(spin.instructions).toBeGreaterThan(10_000_000);
    expect(mixed.run.reports.tasks!.state).toBe('halted');
  });

  it('no console line of one guest is attributed to another', () => {
    const byGuest = (name: string) => mixed.run.all.filter((e) => e.guest === name).map((e) => e.line);
    for (const g of GUESTS) expect(byGuest(g.name)).toEqual(mixed.run.lines[g.name]);
    for (const e of mixed.run.all) {
      if (e.line.startsWith('[hv] ')) continue;
      const prefix = e.guest === 'tasks' ? /^(tasks|task [AB]):/ : e.guest === 'flood' ? /^(flood: start|[a-z]+)$/ : new RegExp(`^${e.guest}:`);
      expect(e.line).toMatch(prefix);
    }
  });

  it("stomp's writes land only in stomp's own memory", () => {
    // Positive control: the pattern is there in stomp's SRAM, every word of the range
    // (stomp has no .data/.bss, so its free RAM starts at 0x20000000).
    expect(stompWords(mixed.ram.stomp!)).toBe(STOMP_BYTES / 4);
    for (const g of GUESTS) {
      if (g.name === 'stomp') continue;
      expect(stompWords(mixed.ram[g.name]!), `stomp's pattern in ${g.name}'s SRAM`).toBe(0);
    }
  });

  it("hello's and compute's SRAM at the addresses stomp wrote ends as it does when they run alone", () => {
    for (const image of ['hello', 'compute']) {
      expect(mixed.ram[image]!.equals(alone[image]!.ram[image]!), `${image}'s SRAM 0x20000000..0x20100000`).toBe(true);
    }
  });

  it('a second run of the same system gives byte-identical output and identical reports', async () => {
    const again = await runMixed();
    expect(again.run.transcript()).toBe(mixed.run.transcript());
    expect(again.run.result).toEqual(mixed.run.result);
    expect(again.run.reports).toEqual(mixed.run.reports);
    expect(Object.keys(again.ram).every((name) => again.ram[name]!.equals(mixed.ram[name]!))).toBe(true);
  }, 120_000);
});
