/**
 * Checkpoint and restore with I/O: the I/O demo (three guests on the three I/O paths over
 * disk-snapshot overlays of one base image, the driver VM, the layered block cache), checkpointed
 * while I/Os are in flight on each path and restored in a new session, runs on to the same console
 * output, stats and trace as one uninterrupted run; so does it with cycle timing, a write-back
 * cache holding dirty blocks and the credit scheduler. Under the I/O-aware scheduler a guest that
 * migrates writes a raw image it owns: the restore puts the file back to its contents at the
 * checkpoint (whatever was written to it since), and the disk ends as the uninterrupted run's.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SystemConfig, loadSystemFile, validateSystem } from '../../hv/core/system-config.ts';
import { Session } from '../../hv/system/session.ts';
import { type Outcome, PROBES, type Probe, checkpointDir, checkpointWhere, restoredRun, systemWith, uninterrupted } from '../helpers/checkpoint-run.ts';
import { diskDir } from '../helpers/io-run.ts';
import { REPO_ROOT, imagePath } from '../helpers/run-system.ts';

const IO_DEMO = join(REPO_ROOT, 'guests', 'io-demo.yaml');
const files = checkpointDir();
afterAll(() => files.remove());

async function expectSameRun(config: SystemConfig, at: number | Probe, step: number, until: number | undefined, reference: Outcome): Promise<void> {
  const file = files.file(`io-${Math.random().toString(36).slice(2)}.hvck`);
  expect(await checkpointWhere(config, at, file, { step })).toBeDefined();
  const restored = await restoredRun(file, until);
  expect(restored.lines).toBe(reference.lines);
  expect(restored.stats).toBe(reference.stats);
  expect(restored.events).toBe(reference.events);
}

describe('checkpoint and restore: the I/O demo', () => {
  const config = loadSystemFile(IO_DEMO);
  let reference: Outcome;
  beforeAll(async () => {
    reference = await uninterrupted(config);
  }, 60_000);

  it.each<[string, number | Probe, number]>([
    ['before the first instruction', 0, 0],
    ['while a guest waits for its interrupt', PROBES.asleep, 2_000],
    ['with a split-path I/O at the driver VM', PROBES.splitAtDriver, 2_000],
    ['with a split-path completion on its way to the frontend', PROBES.splitCompletion, 100],
    ['with emulated-path requests waiting for the block controller', PROBES.emulatedWaiting, 2_000],
    ["with the driver VM's own block controller command in flight", PROBES.driverCommand, 2_000],
    ['late', 3_000_000, 0],
  ])('%s', async (_name, at, step) => {
    await expectSameRun(config, at, step, undefined, reference);
  }, 60_000);

  it('checks something: every path did I/O and the run ended with the driver VM idle', () => {
    const stats = JSON.parse(reference.stats) as { endReason: string; guests: Array<{ name: string; io?: { ios: number } }> };
    expect(stats.endReason).toBe('idle');
    for (const name of ['in-context', 'split', 'emulated']) expect(stats.guests.find((g) => g.name === name)!.io!.ios).toBeGreaterThan(10);
  });
});

describe('checkpoint and restore: the I/O demo with cycle timing, a write-back cache and the credit scheduler', () => {
  const config = systemWith(IO_DEMO, {
    timing: 'cycle',
    scheduler: { policy: 'credit' },
    io: { 'driver-vm': { image: '../firmware/build/driver-vm.elf', core: 1 }, 'disk-timing': 'sd-spi', cache: { policy: 'layered', size: '1MiB', write: 'back' } },
  });
  let reference: Outcome;
  beforeAll(async () => {
    reference = await uninterrupted(config);
  }, 60_000);

  it.each<[string, number | Probe, number]>([
    ['after in-context I/Os (the driver context has run)', 700_000, 0],
    ['with emulated-path requests waiting for the block controller', PROBES.emulatedWaiting, 2_000],
    ['with a split-path I/O at the driver VM', PROBES.splitAtDriver, 2_000],
  ])('%s', async (_name, at, step) => {
    await expectSameRun(config, at, step, undefined, reference);
  }, 60_000);

  it('a chain of checkpoints, each taken of the session the last one restored', async () => {
    const file = files.file('chain.hvck');
    expect(await checkpointWhere(config, 300_000, file)).toBeDefined();
    for (const at of [1_000_000, 2_500_000]) {
      const session = await Session.restore(file, { trace: true });
      try {
        session.runUntil({ cycles: at, exact: false });
        session.checkpoint(file);
      } finally {
        session.close();
      }
    }
    const restored = await restoredRun(file);
    expect(restored.lines).toBe(reference.lines);
    expect(restored.stats).toBe(reference.stats);
    expect(restored.events).toBe(reference.events);
  }, 60_000);
});

describe('checkpoint and restore: raw images the guests own, under the I/O-aware scheduler', () => {
  const disks = diskDir('hvlab-checkpoint-disk-');
  afterAll(() => disks.remove());
  const UNTIL = 12_000_000;
  /** Fresh zero-filled disks: the phased guest reads its own, ioload writes its own. */
  const freshDisks = () => [disks.disk('phased.img'), disks.disk('ioload.img')];
  const [phasedDisk, ioloadDisk] = freshDisks();
  const config = validateSystem(
    {
      cores: 2,
      scheduler: { policy: 'io-aware' },
      io: { 'driver-vm': { image: imagePath('driver-vm') }, cache: { policy: 'lru', size: '64KiB' } },
      guests: [
        { name: 'phased', image: imagePath('phased'), 'io-path': 'split', disk: phasedDisk, cmdline: 'cpu=600000 burst=24' },
        { name: 'ioload', image: imagePath('ioload'), 'io-path': 'emulated', disk: ioloadDisk, cmdline: 'requests=24 seed=3' },
        { name: 'compute', image: imagePath('compute') },
      ],
    },
    join(disks.dir, 'owned.yaml'),
  );
  const diskBytes = () => [phasedDisk!, ioloadDisk!].map((f) => readFileSync(f));
  let reference: Outcome;
  let finalDisks: Buffer[];
  beforeAll(async () => {
    freshDisks();
    reference = await uninterrupted(config, UNTIL);
    finalDisks = diskBytes();
  }, 60_000);

  const migrated = (s: Session) => s.events().some((e) => e.kind === 'vcpu-migrate');
  it.each<[string, number | Probe, number]>([
    ['after the first migration', migrated, 20_000],
    ['with emulated-path requests waiting for the block controller', PROBES.emulatedWaiting, 2_000],
  ])('%s, the disks written over after the checkpoint', async (_name, at, step) => {
    freshDisks();
    const file = files.file(`owned-${Math.random().toString(36).slice(2)}.hvck`);
    expect(await checkpointWhere(config, at, file, { step })).toBeDefined();
    for (const disk of [phasedDisk!, ioloadDisk!]) writeFileSync(disk, randomBytes(readFileSync(disk).length));
    const restored = await restoredRun(file, UNTIL);
    expect(restored.lines).toBe(reference.lines);
    expect(restored.stats).toBe(reference.stats);
    expect(restored.events).toBe(reference.events);
    diskBytes().forEach((bytes, i) => expect(bytes.equals(finalDisks[i]!)).toBe(true));
  }, 60_000);

  it('checks something: a guest migrated and ioload wrote its disk', () => {
    expect(JSON.parse(reference.events).some((e: { kind: string }) => e.kind === 'vcpu-migrate')).toBe(true);
    expect(finalDisks[1]!.some((b) => b !== 0)).toBe(true);
    expect(reference.lines).toMatch(/\[ioload\] ioload: .* done/);
  });
});
