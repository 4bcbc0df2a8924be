/**
 * Outside driver context a guest reaches neither the driver window nor the physical devices:
 * firmware/build/poke.elf (firmware/poke/main.c) tries, with fault handlers that record the
 * fault and resume. It runs with io-path in-context and a disk, so that the driver VM, the block
 * controller and the console UART exist, next to hello (guest index 1: a console channel a leak
 * could reach) and the driver VM on core 1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DRIVER_VM, type IoRun, diskDir, runIo, sha256File } from '../helpers/io-run.ts';

const BUSFAULT_PRECISE = 'fault BusFault cfsr=0x00008200 hfsr=0x00000000'; // PRECISERR | BFARVALID
const STATUS = 0x28;

interface Inspected {
  blkctl: Array<{ status: number; count: number; dma: number; sector: number; inFlight: number | undefined; intStatus: number }>;
  channels: number[];
}

let disks: ReturnType<typeof diskDir>;
let diskFile: string;
let diskBefore: string;
let run: IoRun<Inspected>;
let lines: Map<string, string>;

beforeAll(async () => {
  disks = diskDir('hvlab-poke-');
  diskFile = disks.disk('poke.img');
  diskBefore = sha256File(diskFile);
  run = await runIo(
    [
      { name: 'poke', core: 0, ioPath: 'in-context', disk: diskFile },
      { name: 'hello', core: 0 },
    ],
    { cores: 2, driverCore: 1 },
    (system) => {
      const { blockController: c, consoleUart: u } = system.io!.platform;
      return {
        blkctl: [0, 1].map((slot) => ({
          status: c.read(slot * 0x100 + STATUS, 4),
          sector: c.read(slot * 0x100 + 0x14, 4),
          count: c.read(slot * 0x100 + 0x1c, 4),
          dma: c.read(slot * 0x100 + 0x20, 4),
          intStatus: c.read(slot * 0x100 + 0x30, 4),
          inFlight: c.completionTime(slot),
        })),
        channels: [0, 1, 2, 3].map((slot) => u.read(slot * 0x100 + 0x08)),
      };
    },
  );
  lines = new Map(
    run.output('poke').flatMap((l) => {
      const m = /^poke: ([\w-]+): (.*)$/.exec(l);
      return m ? [[m[1]!, m[2]!] as [string, string]] : [];
    }),
  );
}, 120_000);

afterAll(() => disks?.remove());

describe('a guest outside driver context', () => {
  it('runs to the end: poke: done, exit 0', () => {
    expect(run.output('poke')[0]).toBe('poke: start');
    expect(run.output('poke').at(-1)).toBe('poke: done');
    expect(run.reports['poke']).toMatchObject({ state: 'halted', exitCode: 0, fault: null });
  });

  it('(a) faults reading the interface table at 0x60000400', () => {
    expect(lines.get('read-interface')).toBe(`${BUSFAULT_PRECISE} bfar=0x60000400 mmfar=0x00000000`);
  });

  it('(b) faults writing the driver window at 0x60001000', () => {
    expect(lines.get('write-window')).toBe(`${BUSFAULT_PRECISE} bfar=0x60001000 mmfar=0x00000000`);
  });

  it('(c) faults branching into the driver window (0x60000801): an instruction fetch fault', () => {
    expect(lines.get('jump-window')).toMatch(/^fault (BusFault|MemManage|HardFault) cfsr=0x([0-9a-f]{8})/);
    const cfsr = Number.parseInt(/cfsr=0x([0-9a-f]{8})/.exec(lines.get('jump-window')!)![1]!, 16);
    const IACCVIOL = 1 << 0, IBUSERR = 1 << 8;
    expect(cfsr & (IACCVIOL | IBUSERR)).not.toBe(0);
  });

  it('(d) reads 0 at the block controller and the console UART: reserved space in its map', () => {
    expect(lines.get('read-blkctl-id')).toBe('read 0x00000000');
    expect(lines.get('read-hostuart')).toBe('read 0x00000000');
    // 0x40110000 and 0x40118000 are offsets 0xe0000 and 0xe8000 of the reserved region at 0x40030000.
    expect(run.reports['poke']!.unimplemented).toMatchObject({ 'reserved4+0xe0000': { reads: 1 }, 'reserved4+0xe8000': { reads: 1 } });
  });

  it('(e) its COMMAND writes to block controller slots 0 and 1 change nothing', () => {
    for (const slot of [0, 1]) {
      expect(lines.get(`blkctl-slot${slot}-read`)).toBe('no fault');
      expect(lines.get(`blkctl-slot${slot}-write`)).toBe('no fault');
      expect(lines.get(`blkctl-slot${slot}-status`)).toBe('read 0x00000000');
    }
    for (const s of run.inspected.blkctl) {
      expect(s).toMatchObject({ status: 0, sector: 0, count: 0, dma: 0, intStatus: 0, inFlight: undefined });
    }
    expect(sha256File(diskFile)).toBe(diskBefore);
  });

  it('its console UART writes reach no console', () => {
    expect(lines.get('hostuart-write')).toBe('no fault');
    expect(run.reports['poke']!.unimplemented['reserved4+0xe8000']).toMatchObject({ writes: 5 });
    expect(run.inspected.channels).toEqual([0, 0, 0, 0]);
    expect(run.lines['hello']).toEqual(['hello: booted', 'hello: sum(1..100) = 5050', 'hello: done']);
    expect(run.lines[DRIVER_VM] ?? []).toEqual([]);
    expect(run.output('poke').some((l) => l.includes('LEAK'))).toBe(false);
  });

  it('the driver VM keeps running, unharmed', () => {
    expect(run.reports[DRIVER_VM]).toMatchObject({ state: 'running', fault: null });
  });
});
