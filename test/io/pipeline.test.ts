/**
 * Several requests outstanding on one virtqueue (firmware/build/pipeline.elf): each round makes
 * two (or five) reads available one by one and notifies after each, with CPU work between the
 * notifications, then collects them all. virtio requires the device to use every available
 * buffer after a notification, so every path must answer every read without a further notify.
 *
 * The split path's hazard: the driver VM reads the queue's available index once per event, with
 * its first hypercall, and gives the mailbox slot back only after its report. A notification that
 * arrives while it serves the queue's event (gap=20000: the first read is at the device) must not
 * be coalesced into that event, or its read waits forever (the guest's `wait` expires: "late").
 * A notification that arrives before the driver began to serve the event (gap=0) is still
 * coalesced: the driver sees both reads when it reads the queue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IoPathName } from '../../hv/io/io-path.ts';
import { type IoRun, diskDir, runIo } from '../helpers/io-run.ts';

const PATHS: IoPathName[] = ['emulated', 'in-context', 'split'];
const CASES = { overlapping: 'gap=20000', 'back-to-back': 'gap=0', 'five deep': 'depth=5 gap=20000' } as const;
type Case = keyof typeof CASES;
const CASE_NAMES = Object.keys(CASES) as Case[];
const runs = {} as Record<Case, Record<string, IoRun<undefined>>>;
let disks: ReturnType<typeof diskDir>;

/** The paths, and the split path with the driver VM on the guest's own core. */
const CONFIGS = [...PATHS.map((path) => ({ name: path, path, driverCore: 1 })), { name: 'split-shared-core', path: 'split' as const, driverCore: 0 }];

beforeAll(async () => {
  disks = diskDir('hvlab-pipeline-');
  for (const c of CASE_NAMES) {
    runs[c] = {};
    for (const { name, path, driverCore } of CONFIGS) {
      const disk = disks.disk(`${c.replace(' ', '-')}-${name}.img`);
      runs[c][name] = await runIo([{ name: 'p', image: 'pipeline', core: 0, ioPath: path, disk, cmdline: CASES[c] }], { driverCore });
    }
  }
}, 240_000);

afterAll(() => disks?.remove());

describe.each(CASE_NAMES)('%s notifications', (c) => {
  it.each(CONFIGS.map((x) => x.name))('%s: every read is used after its notification, with the right data', (name) => {
    const depth = c === 'five deep' ? 5 : 2;
    const run = runs[c][name]!;
    expect(run.output('p')).toEqual([`pipeline: start depth=${depth} gap=${c === 'back-to-back' ? 0 : 20000} rounds=4`, `pipeline: 4 rounds of ${depth}: ${4 * depth} ok, 0 late, 0 bad`, 'pipeline: done']);
    expect(run.reports['p']).toMatchObject({ state: 'halted', exitCode: 0, fault: null });
    // The patterns' writes, then the reads.
    expect(run.reports['p']!.io).toMatchObject({ errors: 0, requests: 4 * depth * 2 });
  });
});

it('split path: a notification while the driver VM serves the queue gets its own event; one before it began is coalesced', () => {
  // gap=20000: the second read's notification comes while the first is at the device.
  expect(runs.overlapping['split']!.reports['p']!.io).toMatchObject({ ios: 16, coalesced: 0 });
  // gap=0: the second notification comes before the driver read the queue for the first.
  expect(runs['back-to-back']['split']!.reports['p']!.io).toMatchObject({ ios: 12, coalesced: 4 });
});
