/**
 * End to end: the ioload workload (requests=4) under each I/O path, each on a fresh zero-filled
 * raw disk of the same size, with the driver VM on core 1. The three paths must move the same
 * bytes (same read checksum, byte-identical disks) and account for their I/O in their own way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestReport } from '../../hv/core/guest-stats.ts';
import { IO_PATHS, type IoPathName } from '../../hv/io/io-path.ts';
import { DRIVER_VM, type IoRun, diskDir, runIo, sha256, sha256File } from '../helpers/io-run.ts';

const DISK_BYTES = 1 << 20;
const PHASE_LINES = [512, 4096].flatMap((size) => ['sequential-write', 'sequential-read', 'random-write', 'random-read'].map((p) => `ioload: ${p} ${size} done`));

interface PathRun {
  run: IoRun<undefined>;
  ioload: GuestReport;
  driver: GuestReport;
  diskSha256: string;
  checksum: string | undefined;
}

const runs = {} as Record<IoPathName, PathRun>;
let disks: ReturnType<typeof diskDir>;

beforeAll(async () => {
  disks = diskDir('hvlab-paths-');
  for (const path of IO_PATHS) {
    const disk = disks.disk(`disk-${path}.img`, DISK_BYTES);
    const run = await runIo([{ name: 'ioload', core: 0, ioPath: path, disk, cmdline: 'requests=4' }]);
    const checksum = run.output('ioload').map((l) => /read checksum (0x[0-9a-f]{8})/.exec(l)?.[1]).find(Boolean);
    runs[path] = { run, ioload: run.reports['ioload']!, driver: run.reports[DRIVER_VM]!, diskSha256: sha256File(disk), checksum };
  }
}, 120_000);

afterAll(() => disks?.remove());

describe.each(IO_PATHS)('ioload under the %s path', (path) => {
  it('halts with exit 0 after 32 requests without errors, and the driver VM is still running', () => {
    const { run, ioload, driver } = runs[path];
    expect(ioload).toMatchObject({ state: 'halted', exitCode: 0, fault: null });
    const out = run.output('ioload');
    expect(out[0]).toBe('ioload: start requests=4 size=0 seed=1');
    expect(out).toContain('ioload: disk "hvlab-disk-0", 2048 sectors');
    expect(out.find((l) => l.includes('read checksum'))).toMatch(/^ioload: 32 requests, 0 errors, read checksum 0x[0-9a-f]{8}$/);
    expect(out.at(-1)).toBe('ioload: done');
    expect(driver).toMatchObject({ state: 'running', fault: null });
  });

  it('prints its phase lines through the virtio-console, in order', () => {
    expect(runs[path].run.output('ioload').filter((l) => / done$/.test(l) && l !== 'ioload: done')).toEqual(PHASE_LINES);
  });

  it('reports its I/O in vm.report().io', () => {
    const io = runs[path].ioload.io!;
    expect(io.path).toBe(path);
    expect(io.ios).toBeGreaterThan(32);
    expect(io.requests).toBeGreaterThanOrEqual(io.ios);
    expect(io.bytes).toBeGreaterThanOrEqual(16 * 512 + 16 * 4096);
    expect(io.errors).toBe(0);
    expect(io.traps).toBeGreaterThan(io.ios);
    for (const cycles of Object.values(io.phases)) expect(cycles).toBeGreaterThanOrEqual(0);
  });
});

describe('the three paths move the same bytes', () => {
  it('the guest reads the same data (equal read checksums)', () => {
    const sums = IO_PATHS.map((p) => runs[p].checksum);
    expect(sums[0]).toMatch(/^0x[0-9a-f]{8}$/);
    expect(new Set(sums).size).toBe(1);
  });

  it('the disks end byte-identical (SHA-256), and were written', () => {
    const hashes = IO_PATHS.map((p) => runs[p].diskSha256);
    expect(new Set(hashes).size).toBe(1);
    expect(hashes[0]).not.toBe(sha256(Buffer.alloc(DISK_BYTES)));
  });

  it('every path counts the same I/Os and requests', () => {
    const counts = IO_PATHS.map((p) => [runs[p].ioload.io!.ios, runs[p].ioload.io!.requests]);
    expect(counts[1]).toEqual(counts[0]);
    expect(counts[2]).toEqual(counts[0]);
  });

  it('every path counts the same bytes moved', () => {
    const bytes = Object.fromEntries(IO_PATHS.map((p) => [p, runs[p].ioload.io!.bytes]));
    expect(bytes['split']).toBe(bytes['in-context']);
    expect(bytes['emulated']).toBe(bytes['in-context']);
  });
});

describe('how each path does its work', () => {
  const phases = (p: IoPathName) => Object.keys(runs[p].ioload.io!.phases);

  it('in-context: context save, driver run, device, restore, interrupt injection and trap; no world switches', () => {
    expect(phases('in-context')).toEqual(expect.arrayContaining(['context save', 'driver run', 'device', 'restore', 'interrupt injection', 'trap']));
    expect(phases('in-context')).not.toContain('grant copy');
    expect(phases('in-context')).not.toContain('emulation');
    expect(runs['in-context'].ioload.io!.worldSwitches).toBe(0);
  });

  it('split: event channel, grant copy, device and driver wait; the driver VM makes hypercalls', () => {
    expect(phases('split')).toEqual(expect.arrayContaining(['event channel', 'grant copy', 'device', 'driver wait']));
    expect(phases('split')).not.toContain('context save');
    expect(runs['split'].ioload.io!.phases['grant copy']).toBeGreaterThan(0);
    expect(runs['split'].driver.traps['hypercall']).toBeGreaterThan(runs['split'].ioload.io!.ios);
    expect(runs['in-context'].driver.traps['hypercall'] ?? 0).toBeLessThan(runs['split'].driver.traps['hypercall']!);
  });

  it('emulated: emulation, device and completion, without the driver VM', () => {
    expect(phases('emulated')).toEqual(expect.arrayContaining(['emulation', 'device', 'completion']));
    expect(phases('emulated')).not.toContain('grant copy');
    expect(phases('emulated')).not.toContain('context save');
    expect(runs['emulated'].driver.instructions).toBe(runs['in-context'].driver.instructions);
  });

  it('split takes more traps per I/O than in-context (hypercalls and grant copies)', () => {
    const perIo = (p: IoPathName) => runs[p].ioload.io!.traps / runs[p].ioload.io!.ios;
    expect(perIo('split')).toBeGreaterThan(perIo('in-context'));
  });
});
