/**
 * A device reset while a block request is in flight (firmware/build/malfront.elf, case
 * reset-in-flight): the guest notifies a 64 KiB read, resets the device at once, re-initialises
 * it and writes and reads back sector 1 while the old read may still be in the device, then
 * waits longer than the old read takes. As virtio 1.2 §2.4.1 and QEMU: the reset drops the old
 * request (no status byte, no data in its buffer after the reset, no used entry), and the new
 * requests complete with their own data. The emulated path's device is still serving the old
 * read when the guest resets (64 KiB take ~0.5 M cycles), so its completion must not advance the
 * new requests; in-context finishes the read inside the notify, before the reset. On the split
 * path the driver VM is still serving the old read's event at the reset: its grant copies after
 * the reset (data, status byte, used ring) and its queue-state report must have no effect, and
 * the event of the requests after the reset must not be merged into the old one. With the driver
 * VM on the guest's own core, the old event is still in the mailbox, not taken, at the reset.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import type { IoPathName } from '../../hv/io/io-path.ts';
import { type Probe, checkpointDir, checkpointWhere, restoredRun, uninterrupted } from '../helpers/checkpoint-run.ts';
import { type IoRun, diskDir, runIo } from '../helpers/io-run.ts';
import { imagePath } from '../helpers/run-system.ts';

const PATHS: IoPathName[] = ['emulated', 'in-context', 'split'];
const runs = {} as Record<IoPathName, IoRun<undefined>>;
/** The split path with the driver VM on the guest's core (it runs only when the guest yields the core). */
let splitSharedCore: IoRun<undefined>;
let disks: ReturnType<typeof diskDir>;

beforeAll(async () => {
  disks = diskDir('hvlab-reset-in-flight-');
  for (const path of PATHS) {
    const disk = disks.disk(`${path}.img`);
    runs[path] = await runIo([{ name: 'mal', image: 'malfront', core: 0, ioPath: path, disk, cmdline: 'case=reset-in-flight' }]);
  }
  const disk = disks.disk('split-shared-core.img');
  splitSharedCore = await runIo([{ name: 'mal', image: 'malfront', core: 0, ioPath: 'split', disk, cmdline: 'case=reset-in-flight' }], { driverCore: 0 });
}, 120_000);

afterAll(() => disks?.remove());

describe.each(PATHS)('a device reset with a read in flight, %s path', (path) => {
  it('drops the old request, and the requests after the reset complete with their own data', () => {
    expect(runs[path].output('mal')).toEqual(['malfront: reset-in-flight: dropped', 'malfront: reset-in-flight: recovered', 'malfront: done']);
    expect(runs[path].reports['mal']).toMatchObject({ state: 'halted', exitCode: 0, fault: null });
    expect(runs[path].reports['mal']!.io).toMatchObject({ path, errors: 0 });
  });
});

it('on the emulated path the old read was still in the device at the reset: it is never served (in-context served it before)', () => {
  // Two writes and two reads of sector 1 after the reset (the case's and the recovery's).
  expect(runs['emulated'].reports['mal']!.io!.requests).toBe(4);
  expect(runs['in-context'].reports['mal']!.io!.requests).toBe(5);
});

it('on the split path the driver VM answered the old read after the reset: that answer is not counted either', () => {
  expect(runs['split'].reports['mal']!.io!.requests).toBe(4);
});

it('split path with the driver VM on the same core: the old event, not yet taken at the reset, is dropped too', () => {
  expect(splitSharedCore.output('mal')).toEqual(['malfront: reset-in-flight: dropped', 'malfront: reset-in-flight: recovered', 'malfront: done']);
  expect(splitSharedCore.reports['mal']!.io).toMatchObject({ path: 'split', errors: 0, requests: 4 });
  expect(splitSharedCore.reports['mal']!.io!.worldSwitches).toBeGreaterThan(0);
});

describe('a checkpoint while the dropped request is still being served (emulated and split paths)', () => {
  const files = checkpointDir();
  afterAll(() => files.remove());

  function config(disk: string, path: IoPathName) {
    return validateSystem(
      {
        cores: 2,
        io: { 'driver-vm': { image: imagePath('driver-vm'), core: 1 } },
        guests: [{ name: 'mal', image: imagePath('malfront'), core: 0, 'io-path': path, disk, cmdline: 'case=reset-in-flight' }],
      },
      join(tmpdir(), 'reset-in-flight.yaml'),
    );
  }

  // Emulated: the dropped command heads the waiting list. Split: a dropped I/O is at the driver VM.
  const dropped: Record<'emulated' | 'split', Probe> = {
    emulated: (s) => s.internals.io!.guests.some((g) => ((g.path.saveState() as { waiting?: Array<{ dropped?: true }> }).waiting ?? [])[0]?.dropped === true),
    split: (s) => s.internals.io!.saveState().split!.inFlight.some((o) => o.dropped),
  };

  it.each(['emulated', 'split'] as const)('%s: restores to the same console output, stats and trace as an uninterrupted run', async (path) => {
    const reference = await uninterrupted(config(disks.disk(`reference-${path}.img`), path));
    const file = files.file(`dropped-${path}.hvck`);
    expect(await checkpointWhere(config(disks.disk(`checkpointed-${path}.img`), path), dropped[path], file, { step: path === 'split' ? 20 : 500, limit: 5_000_000 })).toBeDefined();
    const restored = await restoredRun(file);
    expect(restored.lines).toContain('malfront: reset-in-flight: dropped');
    expect(restored.lines).toBe(reference.lines);
    expect(restored.stats).toBe(reference.stats);
    expect(restored.events).toBe(reference.events);
  }, 60_000);
});
