/**
 * Each prebuilt image (firmware/build/*.elf) run alone under hvlab: its exact UART output, how it
 * ends, and for the images without fault handlers the hypervisor's fault report.
 */
import { describe, expect, it } from 'vitest';
import {
  CFSR,
  COMPUTE_OUTPUT,
  EXCEPTIONS_OUTPUT,
  FPU_OUTPUT,
  HELLO_OUTPUT,
  HFSR_FORCED,
  SCAN_OUTPUT,
  STOMP_OUTPUT,
  floodLetters,
  linesOfTask,
  taskSteps,
  REGISTER_NAMES,
} from '../helpers/firmware-output.ts';
import { runImage } from '../helpers/run-system.ts';

const hex8 = (n: number) => `0x${(n >>> 0).toString(16).padStart(8, '0')}`;

describe('images that exit by themselves', () => {
  it.each([
    ['hello', HELLO_OUTPUT],
    ['exceptions', EXCEPTIONS_OUTPUT],
    ['fpu', FPU_OUTPUT],
    ['compute', COMPUTE_OUTPUT],
  ])('%s prints exactly its documented lines and exits 0', async (image, expected) => {
    const run = await runImage(image);
    expect(run.lines[image]).toEqual(expected);
    expect(run.all.every((e) => e.guest === image)).toBe(true);
    expect(run.result.reason).toBe('all-stopped');
    const report = run.reports[image]!;
    expect(report.state).toBe('halted');
    expect(report.exitCode).toBe(0);
    expect(report.fault).toBeNull();
    expect(report.console).toEqual({ bytes: expected.join('\n').length + 1, lines: expected.length, dropped: 0 });
    expect(report.traps.semihosting).toBe(1);
  });

  it('exceptions: every check line is PASS and the last line is "exceptions: done"', async () => {
    const out = (await runImage('exceptions')).output('exceptions');
    const checks = out.slice(1, -1);
    expect(checks).toHaveLength(19);
    for (const line of checks) expect(line).toMatch(/^PASS [a-z-]+$/);
    expect(out.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(out.at(-1)).toBe('exceptions: done');
  });

  it('tasks: each task prints steps 1..10 in order, the tasks interleave, and PendSV switched them', async () => {
    const run = await runImage('tasks');
    const out = run.output('tasks');
    expect(run.notices('tasks')).toEqual([]);
    expect(out[0]).toBe('tasks: start');
    expect(out.at(-1)).toBe('tasks: done');
    expect(out).toHaveLength(22);
    expect(linesOfTask(out, 'A')).toEqual(taskSteps('A'));
    expect(linesOfTask(out, 'B')).toEqual(taskSteps('B'));
    // At least one context switch: neither task printed all of its lines in one block.
    const byTask = out.slice(1, -1).map((l) => l[5]);
    const changes = byTask.filter((t, i) => i > 0 && t !== byTask[i - 1]).length;
    expect(changes).toBeGreaterThanOrEqual(2);
    const report = run.reports.tasks!;
    expect(report.state).toBe('halted');
    expect(report.exitCode).toBe(0);
    expect(report.exceptions.PendSV).toBeGreaterThanOrEqual(1);
    expect(report.exceptions.SysTick).toBeGreaterThanOrEqual(report.exceptions.PendSV!);
    expect(report.exceptions.SVCall).toBe(1);
  });
});

interface FaultCase {
  image: string;
  output: string[];
  cfsr: number;
  bfar: number;
  cause: RegExp;
  pc?: number;
  /** The function the faulting PC is in (null: no symbol covers it). */
  symbol: RegExp | null;
}

const FAULTS: FaultCase[] = [
  {
    image: 'fault',
    output: ['fault: reading unmapped address 0x30000000'],
    cfsr: CFSR.PRECISERR | CFSR.BFARVALID,
    bfar: 0x30000000,
    cause: /^precise data bus error reading 0x30000000$/,
    symbol: /^main\+0x[0-9a-f]+$/,
  },
  {
    image: 'wildjump',
    output: ['wildjump: jumping to 0x30000001'],
    cfsr: CFSR.IBUSERR,
    bfar: 0,
    cause: /^instruction fetch .*0x30000000$/,
    pc: 0x30000000,
    symbol: null,
  },
  {
    image: 'scan',
    output: SCAN_OUTPUT,
    cfsr: CFSR.PRECISERR | CFSR.BFARVALID,
    bfar: 0x24000000,
    cause: /^precise data bus error reading 0x24000000$/,
    symbol: /^main\+0x[0-9a-f]+$/,
  },
  {
    image: 'stomp',
    output: STOMP_OUTPUT,
    cfsr: CFSR.PRECISERR | CFSR.BFARVALID,
    bfar: 0x24000000,
    cause: /^precise data bus error writing 0x24000000$/,
    symbol: /^main\+0x[0-9a-f]+$/,
  },
];

describe('images without fault handlers', () => {
  it.each(FAULTS)('$image is stopped with a BusFault report (escalated to HardFault)', async (c) => {
    const run = await runImage(c.image);
    expect(run.output(c.image)).toEqual(c.output);
    expect(run.result.reason).toBe('all-stopped');
    const report = run.reports[c.image]!;
    expect(report.state).toBe('faulted');
    expect(report.exitCode).toBeNull();
    const fault = report.fault!;
    expect(fault).not.toBeNull();
    expect(fault.reason).toBe('no-handler');
    expect(fault.kind).toBe('HardFault');
    expect(fault.cause).toMatch(c.cause);
    expect(fault.detail['cfsr']).toBe(c.cfsr);
    expect(fault.detail['bfar']).toBe(c.bfar);
    expect(fault.detail['hfsr']).toBe(HFSR_FORCED);
    expect(fault.detail['mmfar']).toBe(0);

    expect(Object.keys(fault.registers).sort()).toEqual([...REGISTER_NAMES].sort());
    for (const name of REGISTER_NAMES) expect(Number.isInteger(fault.registers[name])).toBe(true);
    expect(fault.registers.pc).toBe(fault.pc);
    if (c.pc !== undefined) expect(fault.pc).toBe(c.pc);
    else expect(fault.pc).toBeLessThan(0x00400000); // a load/store in the image's code
    // Thread mode on the main stack, inside SSRAM2/3.
    expect(fault.registers.sp).toBe(fault.registers.msp);
    expect(fault.registers.sp).toBeGreaterThan(0x20000000);
    expect(fault.registers.sp).toBeLessThanOrEqual(0x20400000);
    expect(fault.registers.control).toBe(0);

    // The same report, printed in the guest's console stream.
    const notices = run.notices(c.image);
    expect(notices[0]).toBe(`stopped (no-handler): ${fault.description}`);
    // The PC is named after the function it is in, from the image's symbol table.
    if (c.symbol === null) expect(fault.symbol).toBeNull();
    else expect(fault.symbol).toMatch(c.symbol);
    const where = fault.symbol ? `${hex8(fault.pc)} (${fault.symbol})` : hex8(fault.pc);
    expect(notices).toContain(`  cause: ${fault.cause} at pc ${where}`);
    expect(notices).toContain(`  CFSR ${hex8(c.cfsr)} HFSR ${hex8(HFSR_FORCED)} MMFAR 0x00000000 BFAR ${hex8(c.bfar)}`);
    expect(notices.some((l) => l.includes(`pc ${hex8(fault.pc)}`) && l.trimStart().startsWith('r8 '))).toBe(true);
  });
});

describe('images that never exit', () => {
  it('flood: output is cut at the console limit with one notice, and the guest keeps running', async () => {
    const limit = 100;
    const run = await runImage('flood', { consoleLimit: limit, untilCycles: 2_000_000 });
    const header = 'flood: start';
    expect(run.lines.flood).toEqual([
      header,
      floodLetters(limit - header.length - 1),
      `[hv] console limit of ${limit} bytes reached; further output is dropped`,
    ]);
    expect(run.result.reason).toBe('until-cycles');
    const report = run.reports.flood!;
    expect(report.state).toBe('running');
    expect(report.console.bytes).toBe(limit);
    expect(report.console.dropped).toBeGreaterThan(1000);
  });

  it('spin: prints its line and keeps running with interrupts masked until the run ends', async () => {
    const run = await runImage('spin', { untilCycles: 2_000_000 });
    expect(run.lines.spin).toEqual(['spin: start']);
    expect(run.result).toEqual({ reason: 'until-cycles', cycles: 2_000_000 });
    const report = run.reports.spin!;
    expect(report.state).toBe('running');
    expect(report.fault).toBeNull();
    expect(report.instructions).toBeGreaterThan(1_000_000);
  });
});
