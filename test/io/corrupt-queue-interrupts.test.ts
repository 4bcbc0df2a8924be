/**
 * A corrupt queue raises the same interrupts on all three I/O paths: the device sets
 * DEVICE_NEEDS_RESET and raises the configuration-change interrupt, and raises the used-buffer
 * interrupt only when it completed some chain of that notification (none, for these attacks:
 * firmware/build/malfront.elf's cases whose answer is needs-reset). Each path's virtio-blk
 * transport is watched from the host: what it raised, in order, until the guest reset it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import { IO_PATHS, type IoPathName } from '../../hv/io/io-path.ts';
import { Session } from '../../hv/system/session.ts';
import { diskDir } from '../helpers/io-run.ts';
import { imagePath } from '../helpers/run-system.ts';

const disks = diskDir('hvlab-corrupt-queue-');
afterAll(() => disks.remove());

type Raised = 'used' | 'config' | 'reset';

/** Runs malfront's `attack` on `path`; what the guest's block transport raised, in order. */
async function raised(path: IoPathName, attack: string): Promise<{ log: Raised[]; outcome: string[] }> {
  const config = validateSystem(
    {
      cores: 2,
      io: { 'driver-vm': { image: imagePath('driver-vm'), core: 1 } },
      guests: [{ name: 'mal', image: imagePath('malfront'), core: 0, 'io-path': path, disk: disks.disk(`${path}-${attack}.img`), cmdline: `case=${attack}` }],
    },
    `${disks.dir}/corrupt.yaml`,
  );
  const session = await Session.open(config);
  try {
    const log: Raised[] = [];
    const blk = session.internals.io!.guests[0]!.transports.find((t) => t.name === 'mal.virtio-blk')!;
    const watch = (method: 'complete' | 'needsReset' | 'reset', what: Raised) => {
      const original = blk[method].bind(blk);
      blk[method] = () => {
        log.push(what);
        original();
      };
    };
    watch('complete', 'used');
    watch('needsReset', 'config');
    watch('reset', 'reset');
    session.runUntil();
    const outcome = session.consoleLines().filter((l) => l.line.startsWith(`malfront: ${attack}:`)).map((l) => l.line);
    return { log, outcome };
  } finally {
    session.close();
  }
}

/** What was raised after the device found the queue corrupt, until the guest reset it. */
function afterCorruption(log: readonly Raised[]): Raised[] {
  const start = log.indexOf('config');
  const end = log.indexOf('reset', start);
  return log.slice(start, end);
}

describe('a corrupt queue on each path', () => {
  for (const attack of ['desc-loop', 'chain-too-long', 'bad-avail-idx', 'bad-status-desc']) {
    it(`${attack}: the configuration-change interrupt only, the same on in-context, split and emulated`, async () => {
      const runs = await Promise.all(IO_PATHS.map((path) => raised(path, attack)));
      for (const [i, run] of runs.entries()) {
        expect(run.outcome, IO_PATHS[i]).toEqual([`malfront: ${attack}: needs-reset`, `malfront: ${attack}: recovered`]);
        expect(afterCorruption(run.log), IO_PATHS[i]).toEqual(['config']);
      }
      // Everything the transport raised agrees, recovery included.
      expect(runs[1]!.log).toEqual(runs[0]!.log);
      expect(runs[2]!.log).toEqual(runs[0]!.log);
    });
  }
});
