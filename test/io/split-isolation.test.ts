/**
 * One split-path guest cannot starve another through the driver VM's shared mailbox: a frontend
 * notifying in a loop (malfront case=notify-storm) next to an ioload frontend. Its notifications
 * are coalesced per queue (at most one waiting event per port), no event of the victim is
 * dropped, and the victim's I/O is what it is alone: same output, same I/Os, requests, bytes and
 * traps (the storm's hypercalls are not counted for it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GuestReport } from '../../hv/trace/stats-file.ts';
import { type IoRun, diskDir, runIo } from '../helpers/io-run.ts';

let disks: ReturnType<typeof diskDir>;
let alone: IoRun<undefined>;
let stormed: IoRun<undefined>;

const VICTIM = { name: 'victim', image: 'ioload', core: 1, ioPath: 'split' as const, cmdline: 'requests=4' };

beforeAll(async () => {
  disks = diskDir('hvlab-split-isolation-');
  alone = await runIo([{ ...VICTIM, disk: disks.disk('alone.img') }], { cores: 3, driverCore: 2 });
  stormed = await runIo(
    [
      // The victim first, so that it is disk unit 0 and split frontend 0 in both runs.
      { ...VICTIM, disk: disks.disk('victim.img') },
      { name: 'storm', image: 'malfront', core: 0, ioPath: 'split', disk: disks.disk('storm.img'), cmdline: 'case=notify-storm' },
    ],
    { cores: 3, driverCore: 2 },
  );
}, 120_000);

afterAll(() => disks?.remove());

function io(report: GuestReport | undefined) {
  return report!.io!;
}

describe('a notify storm on the split path next to another split guest', () => {
  it('lets the victim finish with exactly the output it has alone', () => {
    expect(stormed.reports['victim']).toMatchObject({ state: 'halted', exitCode: 0 });
    expect(stormed.output('victim')).toEqual(alone.output('victim'));
  });

  it("counts for the victim exactly its own I/Os, requests, bytes and traps", () => {
    const mine = io(alone.reports['victim']);
    const theirs = io(stormed.reports['victim']);
    for (const field of ['ios', 'requests', 'bytes', 'errors', 'traps', 'coalesced'] as const) expect(theirs[field], field).toBe(mine[field]);
  });

  it('coalesces the storm: thousands of notifications, few I/Os, and the attacker finishes too', () => {
    const storm = io(stormed.reports['storm']);
    expect(storm.coalesced).toBeGreaterThan(9000);
    expect(storm.ios).toBeLessThan(1000);
    expect(stormed.output('storm').at(-1)).toBe('malfront: done');
  });
});
