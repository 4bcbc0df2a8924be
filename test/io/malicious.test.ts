/**
 * Isolation under a misbehaving frontend: firmware/build/malfront.elf (every case) under each I/O
 * path, with hello as its neighbour on core 0 and the driver VM on core 1. Every attack gets the
 * answer firmware/README.md documents and the device recovers; hello is undisturbed (its output,
 * its exit, its memory byte for byte against a solo run); the driver VM keeps running with its
 * code unchanged. The notify storm costs only the malicious guest's own time.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestReport } from '../../hv/core/guest-stats.ts';
import { IO_PATHS, type IoPathName } from '../../hv/io/io-path.ts';
import { programHeaders } from '../helpers/elf-bytes.ts';
import { DRIVER_VM, type IoRun, diskDir, memoryHashes, runIo, sha256 } from '../helpers/io-run.ts';
import { imagePath, runImage } from '../helpers/run-system.ts';

const OUTCOMES: Array<[string, string]> = [
  ['desc-outside-ram', 'status=1'],
  ['desc-in-window', 'status=1'],
  ['desc-other-guest', 'status=1'],
  ['desc-loop', 'needs-reset'],
  ['chain-too-long', 'needs-reset'],
  ['bad-avail-idx', 'needs-reset'],
  ['oversize', 'status=1'],
  ['notify-storm', 'ignored'],
  ['ro-registers', 'unchanged'],
  ['bad-status-desc', 'needs-reset'],
  ['reset-in-flight', 'dropped'],
];
const HELLO_LINES = ['hello: booted', 'hello: sum(1..100) = 5050', 'hello: done'];

/** The driver VM image's executable PT_LOAD segment (vectors, interface table, code). */
const DRIVER_CODE = (() => {
  const elf = readFileSync(imagePath('driver-vm'));
  const ph = programHeaders(elf).find((p) => p.type === 1 && (p.flags & 1) !== 0)!;
  return { address: ph.vaddr, bytes: elf.subarray(ph.offset, ph.offset + ph.filesz) };
})();

interface Inspected {
  driverCode: string;
  helloMemory: Record<string, string>;
}

type Outcome<T> = { run: IoRun<T> } | { error: unknown };

let disks: ReturnType<typeof diskDir>;
let solo: { report: GuestReport; memory: Record<string, string> };

async function runMal(path: IoPathName, cmdline: string): Promise<Outcome<Inspected>> {
  try {
    const disk = disks.disk(`${path}-${cmdline.replace(/\W/g, '_')}.img`);
    const run = await runIo(
      [
        { name: 'mal', image: 'malfront', core: 0, ioPath: path, disk, cmdline },
        { name: 'hello', core: 0 },
      ],
      { cores: 2, driverCore: 1 },
      (_system, vm) => ({
        driverCode: sha256(vm(DRIVER_VM).engine.readMemory(DRIVER_CODE.address, DRIVER_CODE.bytes.length)),
        helloMemory: memoryHashes(vm('hello')),
      }),
    );
    return { run };
  } catch (error) {
    return { error };
  }
}

function ok<T>(o: Outcome<T> | undefined): IoRun<T> {
  if (!o) throw new Error('no run');
  if ('error' in o) throw o.error;
  return o.run;
}

const all = {} as Record<IoPathName, Outcome<Inspected>>;
const storm = {} as Record<IoPathName, Outcome<Inspected>>;
const baseline = {} as Record<IoPathName, Outcome<Inspected>>;

beforeAll(async () => {
  disks = diskDir('hvlab-malfront-');
  let memory: Record<string, string> = {};
  const r = await runImage('hello', { inspect: (_s, vm) => (memory = memoryHashes(vm('hello'))) });
  solo = { report: r.reports['hello']!, memory };
  for (const path of IO_PATHS) {
    all[path] = await runMal(path, 'case=all');
    storm[path] = await runMal(path, 'case=notify-storm');
    baseline[path] = await runMal(path, 'case=ro-registers');
  }
}, 300_000);

afterAll(() => disks?.remove());

describe.each(IO_PATHS)('malfront case=all under the %s path, next to hello', (path) => {
  it('answers every attack as documented and recovers after each', () => {
    const out = ok(all[path]).output('mal');
    const expected = OUTCOMES.flatMap(([c, outcome]) => [`malfront: ${c}: ${outcome}`, `malfront: ${c}: recovered`]);
    expect(out.filter((l) => l.startsWith('malfront: ') && l !== 'malfront: done')).toEqual(expected);
    expect(out.at(-1)).toBe('malfront: done');
    expect(ok(all[path]).reports['mal']).toMatchObject({ state: 'halted', exitCode: 0 });
  });

  it('hello prints exactly its 3 lines and halts with exit 0', () => {
    const run = ok(all[path]);
    expect(run.lines['hello']).toEqual(HELLO_LINES);
    expect(run.reports['hello']).toMatchObject({ state: 'halted', exitCode: 0, fault: null });
  });

  it("no byte of hello's memory differs from a solo run of hello", () => {
    expect(Object.keys(solo.memory).length).toBeGreaterThan(1);
    expect(ok(all[path]).inspected.helloMemory).toEqual(solo.memory);
  });

  it('the driver VM is still running, not faulted, and its code in the window is unchanged', () => {
    const run = ok(all[path]);
    expect(run.reports[DRIVER_VM]).toMatchObject({ state: 'running', fault: null });
    expect(run.output(DRIVER_VM)).toEqual([]);
    expect(DRIVER_CODE.address).toBe(0x60000000);
    expect(run.inspected.driverCode).toBe(sha256(DRIVER_CODE.bytes));
  });
});

describe.each(IO_PATHS)('malfront case=notify-storm under the %s path', (path) => {
  it('the storm is ignored and the device recovers', () => {
    expect(ok(storm[path]).output('mal')).toEqual(['malfront: notify-storm: ignored', 'malfront: notify-storm: recovered', 'malfront: done']);
  });

  it("costs the malicious guest's own time: its cycles grow by at least 10000 trapped notifications", () => {
    const stormMal = ok(storm[path]).reports['mal']!;
    const baseMal = ok(baseline[path]).reports['mal']!;
    expect(stormMal.traps['mmio']!).toBeGreaterThanOrEqual(10_000);
    expect(baseMal.traps['mmio']!).toBeLessThan(1_000);
    expect(stormMal.cycles - baseMal.cycles).toBeGreaterThanOrEqual(10_000 * 42);
  });

  it('hello still finishes, with the same instructions and cycles as alone, and its memory untouched', () => {
    const run = ok(storm[path]);
    expect(run.lines['hello']).toEqual(HELLO_LINES);
    expect(run.reports['hello']).toMatchObject({ state: 'halted', exitCode: 0, instructions: solo.report.instructions, cycles: solo.report.cycles });
    expect(run.inspected.helloMemory).toEqual(solo.memory);
    expect(run.reports[DRIVER_VM]).toMatchObject({ state: 'running', fault: null });
  });
});
