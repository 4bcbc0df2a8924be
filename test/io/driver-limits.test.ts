import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../hv/errors.ts';
import { diskDir, runIo } from '../helpers/io-run.ts';
import { rejected } from '../helpers/thrown.ts';

/** The driver VM has HV_MAX_CORES call records and queue state for HV_MAX_FRONTENDS split guests. */
const disks = diskDir('hvlab-io-limits-');
afterAll(() => disks.remove());

function configError(fn: () => Promise<unknown>): Promise<ConfigError> {
  return rejected(fn, ConfigError, 'HV_CONFIG');
}

describe('driver VM limits', () => {
  it('refuses an in-context guest on a core the driver VM has no call record for', async () => {
    const error = await configError(() =>
      runIo([{ name: 'io', image: 'ioload', core: 9, ioPath: 'in-context', disk: disks.disk('a.img') }], { cores: 10, driverCore: 0 }),
    );
    expect(error.message).toMatch(/guests\[0\]\.core: the in-context path runs on cores 0-7 .*guest io is on core 9/);
  });

  it('refuses a ninth split-path guest, naming it', async () => {
    const guests = Array.from({ length: 9 }, (_, i) => ({ name: `s${i}`, image: 'hello', core: 0, ioPath: 'split' as const }));
    const error = await configError(() => runIo(guests, { cores: 2 }));
    expect(error.message).toMatch(/guests\[8\]\.io-path: the driver VM serves at most 8 split-path guests, guest s8 is number 9/);
  });

  it('numbers split frontends among themselves: a split guest after others still reaches its own console and disk', async () => {
    const run = await runIo(
      [
        { name: 'first', image: 'hello', core: 0, ioPath: 'emulated' },
        { name: 'second', image: 'hello', core: 0 },
        { name: 'io', image: 'ioload', core: 0, ioPath: 'split', disk: disks.disk('b.img'), cmdline: 'requests=2 size=512' },
      ],
      { cores: 2 },
    );
    const lines = run.output('io');
    expect(lines).toContain('ioload: sequential-write 512 done');
    expect(lines.find((l) => l.startsWith('ioload: 8 requests, 0 errors'))).toBeDefined();
    expect(run.output('first')).not.toContain('ioload: sequential-write 512 done');
    expect(run.reports['io']!.state).toBe('halted');
  });
});
