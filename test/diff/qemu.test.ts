/**
 * Differential tests: each image's UART output under hvlab against QEMU's mps2-an386 model
 * (firmware/README.md, "Run"). Skipped, with a warning, when qemu-system-arm is not on PATH.
 */
import { describe, expect, it } from 'vitest';
import { HELLO_OUTPUT, SCAN_OUTPUT, STOMP_OUTPUT, linesOfTask, taskSteps } from '../helpers/firmware-output.ts';
import { QEMU, runQemu } from '../helpers/qemu.ts';
import { runImage } from '../helpers/run-system.ts';

if (!QEMU) {
  console.warn('test/diff/qemu.test.ts: skipped: qemu-system-arm not found on PATH, so there is no reference to compare hvlab with');
}

/** What the image prints under hvlab, without the hypervisor's `[hv]` notices. */
async function hvlabOutput(image: string): Promise<string[]> {
  return (await runImage(image)).output(image);
}

describe.skipIf(!QEMU)('hvlab against QEMU (qemu-system-arm -M mps2-an386)', () => {
  it.each(['hello', 'exceptions', 'fpu', 'compute'])('%s: the same UART lines, and QEMU exits 0 through semihosting', async (image) => {
    const qemu = await runQemu(image);
    expect(qemu.timedOut).toBe(false);
    expect(qemu.code).toBe(0);
    expect(qemu.lines.length).toBeGreaterThan(2);
    const hvlab = await runImage(image);
    expect(hvlab.reports[image]!.exitCode).toBe(0);
    expect(hvlab.lines[image]).toEqual(qemu.lines);
  });

  it('hello: QEMU prints the documented lines (the reference itself is sane)', async () => {
    expect((await runQemu('hello')).lines).toEqual(HELLO_OUTPUT);
  });

  it('tasks: each task prints the same lines in the same order; start and done lines match', async () => {
    const qemu = await runQemu('tasks');
    expect(qemu.timedOut).toBe(false);
    expect(qemu.code).toBe(0);
    const hvlab = await hvlabOutput('tasks');
    for (const task of ['A', 'B'] as const) {
      expect(linesOfTask(qemu.lines, task)).toEqual(taskSteps(task));
      expect(linesOfTask(hvlab, task)).toEqual(linesOfTask(qemu.lines, task));
    }
    expect(hvlab[0]).toBe(qemu.lines[0]);
    expect(hvlab.at(-1)).toBe(qemu.lines.at(-1));
    expect([...hvlab].sort()).toEqual([...qemu.lines].sort());
  });

  it('fault: the first line is the same; QEMU then aborts on the lockup', async () => {
    const qemu = await runQemu('fault', 10_000);
    // QEMU has no lockup state: it reports the lockup and aborts (SIGABRT, status 134 from a shell).
    expect(qemu.timedOut).toBe(false);
    expect(qemu.signal === 'SIGABRT' || qemu.code === 134).toBe(true);
    expect(qemu.stderr).toContain("Lockup: can't escalate 3 to HardFault");
    expect(qemu.lines[0]).toBe('fault: reading unmapped address 0x30000000');
    const hvlab = await runImage('fault');
    expect(hvlab.reports.fault!.state).toBe('faulted');
    expect(hvlab.output('fault')[0]).toBe(qemu.lines[0]);
  });

  it.each([
    ['scan', SCAN_OUTPUT],
    ['stomp', STOMP_OUTPUT],
    ['wildjump', ['wildjump: jumping to 0x30000001']],
  ])('%s: everything printed before the unhandled fault is the same', async (image, expected) => {
    const qemu = await runQemu(image, 10_000);
    expect(qemu.timedOut).toBe(false);
    expect(qemu.signal === 'SIGABRT' || qemu.code === 134).toBe(true);
    expect(qemu.lines).toEqual(expected);
    expect(await hvlabOutput(image)).toEqual(qemu.lines);
  });
});
