/**
 * Shutdown never stops half-way: when the disk-trace writer fails (a full device), the run
 * fails, but closing the session still writes back the cache and flushes every disk, so the
 * disk holds exactly what a run without the trace leaves. A boot that fails after the disks were
 * opened closes them again.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../hv/errors.ts';
import { validateSystem } from '../../hv/core/system-config.ts';
import { Session } from '../../hv/system/session.ts';
import { diskDir, sha256File } from '../helpers/io-run.ts';
import { imagePath } from '../helpers/run-system.ts';
import { rejected } from '../helpers/thrown.ts';

const disks = diskDir('hvlab-shutdown-');
afterAll(() => disks.remove());

function system(disk: string) {
  return validateSystem(
    {
      cores: 2,
      io: { 'driver-vm': { image: imagePath('driver-vm'), core: 1 }, cache: { policy: 'lru', size: '256KiB', write: 'back' } },
      guests: [{ name: 'io', image: imagePath('ioload'), core: 0, 'io-path': 'in-context', disk, cmdline: 'requests=4' }],
    },
    `${disks.dir}/s.yaml`,
  );
}

/** Stopped in the middle of the first write phase, before the guest's flush: dirty blocks in the cache. */
const UNTIL = 150_000;

async function run(disk: string, diskTrace?: string): Promise<{ failure: unknown; atStop: string; closed: string }> {
  const session = await Session.open(system(disk), { diskTrace });
  let failure: unknown;
  let atStop = '';
  try {
    session.runUntil({ cycles: UNTIL });
    atStop = sha256File(disk);
  } catch (error) {
    failure = error;
  }
  try {
    session.close();
  } catch (error) {
    failure ??= error;
  }
  return { failure, atStop, closed: sha256File(disk) };
}

describe('a disk-trace writer that fails', () => {
  it('fails the shutdown, yet every write the guest made reaches the disk', async () => {
    const reference = await run(disks.disk('reference.img'));
    expect(reference.failure).toBeUndefined();
    // The premise: when the run stops, written blocks are still only in the write-back cache.
    expect(reference.closed).not.toBe(reference.atStop);
    const victim = await run(disks.disk('victim.img'), '/dev/full');
    expect(victim.failure).toBeDefined();
    expect(victim.closed).toBe(reference.closed);
  });
});

/** Open file descriptors of this process on `file`. */
function openDescriptors(file: string): number {
  const fds = readdirSync('/proc/self/fd');
  return fds.filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

describe('a boot that fails after the disks are open', () => {
  it('closes them again (here: the driver VM image has no interface table)', async () => {
    const disk = disks.disk('boot-fails.img');
    const config = validateSystem(
      {
        cores: 2,
        io: { 'driver-vm': { image: imagePath('hello'), core: 1 } },
        guests: [{ name: 'io', image: imagePath('ioload'), core: 0, 'io-path': 'in-context', disk }],
      },
      `${disks.dir}/bad-driver.yaml`,
    );
    const error = await rejected(() => Session.open(config), ConfigError, 'HV_CONFIG');
    expect(error.message).toMatch(/hello\.elf: no driver interface table/);
    expect(openDescriptors(disk)).toBe(0);
  });
});
