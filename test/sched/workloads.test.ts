/**
 * The scheduling experiment's guests on their own (split path, driver VM on core 1): what they
 * print, that they finish a bounded run cleanly, and that their knobs do what they say.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { diskDir, runIo } from '../helpers/io-run.ts';

const disks = diskDir('hvlab-workloads-');
afterAll(() => disks.remove());

async function alone(image: string, cmdline: string) {
  const run = await runIo([{ name: image, image, core: 0, ioPath: 'split', disk: disks.disk(`${image}-${cmdline.replace(/\W/g, '_')}.img`), cmdline }]);
  return { lines: run.output(image), report: run.reports[image]!, cycles: run.result.cycles };
}

describe('scheduling workloads', () => {
  it('iobound reads N requests with think instructions between them', async () => {
    const quick = await alone('iobound', 'requests=20');
    expect(quick.lines).toEqual(['iobound: start requests=20 think=0 size=512', 'iobound: 20 reads, 0 errors', 'iobound: done']);
    expect(quick.report.exitCode).toBe(0);
    expect(quick.report.io!.requests).toBe(20);
    const thinking = await alone('iobound', 'requests=20 think=10000 size=1024');
    expect(thinking.lines[0]).toBe('iobound: start requests=20 think=10000 size=1024');
    expect(thinking.report.io!.bytes).toBe(20 * 1024);
    // Twenty think periods of 10,000 instructions each, on top of the same I/O work.
    expect(thinking.report.instructions - quick.report.instructions).toBeGreaterThanOrEqual(20 * 10_000 - 100);
    expect(thinking.report.instructions - quick.report.instructions).toBeLessThan(20 * 10_000 + 20_000);
  });

  it('latency issues one read per timer period and misses none when it has the core to itself', async () => {
    const { lines, report, cycles } = await alone('latency', 'requests=10 period=100000');
    expect(lines).toEqual(['latency: start period=100000 requests=10', 'latency: 10 requests, 0 missed periods, 0 errors', 'latency: done']);
    expect(report.io!.requests).toBe(10);
    // One timer interrupt (IRQ 8) and one completion interrupt (IRQ 14) per request.
    expect(report.exceptions).toEqual({ IRQ8: 10, IRQ14: 10 });
    // Ten periods of 100,000 cycles: the last read begins at the tenth tick and takes less than a period.
    expect(cycles).toBeGreaterThan(1_000_000);
    expect(cycles).toBeLessThan(1_100_000);
  });

  it('latency counts the periods it misses when requests take longer than the period', async () => {
    const { lines } = await alone('latency', 'requests=5 period=2000');
    expect(lines[1]).toMatch(/^latency: 5 requests, [1-9]\d* missed periods, 0 errors$/);
  });

  it('phased alternates CPU phases and I/O bursts', async () => {
    const { lines, report } = await alone('phased', 'cpu=100000 burst=5 rounds=2');
    expect(lines).toEqual([
      'phased: start cpu=100000 burst=5 rounds=2',
      'phased: round 1 cpu',
      'phased: round 1 io',
      'phased: round 2 cpu',
      'phased: round 2 io',
      'phased: 2 rounds, 0 errors',
      'phased: done',
    ]);
    expect(report.io!.requests).toBe(10);
    expect(report.instructions).toBeGreaterThan(200_000);
  });

  it('each rejects a bad command line', async () => {
    expect((await alone('iobound', 'size=100')).lines).toContain('iobound: size must be a multiple of 512 up to 4096');
    expect((await alone('latency', 'period=x')).lines).toContain('latency: bad value for period');
    expect((await alone('phased', 'burst=')).report.exitCode).toBe(1);
  });
});
