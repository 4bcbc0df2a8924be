/** Session.addGuest / endGuest / guest / releaseGuest: guests joining and leaving a running session. */
import { afterEach, describe, expect, it } from 'vitest';
import { type GuestEntry, type SystemConfig, validateSystem } from '../../hv/core/system-config.ts';
import { UsageError } from '../../hv/errors.ts';
import { Session } from '../../hv/system/session.ts';
import { imagePath } from '../helpers/run-system.ts';

function entry(name: string, image: string, extra: Record<string, unknown> = {}): GuestEntry {
  return validateSystem({ guests: [{ name, image: imagePath(image), ...extra }] }, 'test.yaml').guests[0]!;
}

/** A system with no guests yet (a cluster slave before its first workload). */
function emptySystem(cores: number): SystemConfig {
  return { ...validateSystem({ cores, guests: [{ name: 'x', image: imagePath('hello') }] }, 'test.yaml'), guests: [] };
}

const open: Session[] = [];
async function session(cores = 1, trace = false): Promise<Session> {
  const s = await Session.open(emptySystem(cores), { trace });
  open.push(s);
  return s;
}
afterEach(() => open.splice(0).forEach((s) => s.close()));

describe('Session.addGuest', () => {
  it('runs an empty session to its end and reports no guests', async () => {
    const s = await session();
    expect(s.runUntil({ cycles: 10_000 }).reason).toBe('all-stopped');
    expect(s.results().guests).toEqual([]);
  });

  it('boots a guest into a running session at a virtual time and prints what it prints alone', async () => {
    const alone = await Session.open(validateSystem({ guests: [{ name: 'h', image: imagePath('hello') }] }, 't.yaml'));
    open.push(alone);
    alone.runUntil();
    const s = await session(1, true);
    s.runUntil({ cycles: 5_000 });
    s.addGuest(entry('h', 'hello'), { at: 40_000 });
    expect(s.runUntil().reason).toBe('all-stopped');
    expect(s.consoleLines()).toEqual(alone.consoleLines());
    const start = s.events().find((e) => e.kind === 'guest-start');
    expect(start?.ts).toBe(40_000);
    const { report, endedAt } = s.guest('h');
    expect(report.state).toBe('halted');
    expect(report.exitCode).toBe(0);
    expect(report.instructions).toBe(alone.guest('h').report.instructions);
    expect(endedAt).toBe(40_000 + alone.guest('h').endedAt!);
  });

  it('places a guest on the core with the fewest live guests unless told', async () => {
    const s = await session(2);
    s.addGuest(entry('a', 'spin'));
    s.addGuest(entry('b', 'spin'));
    s.addGuest(entry('c', 'spin'), { core: 0 });
    expect(['a', 'b', 'c'].map((g) => s.guest(g).report.core)).toEqual([0, 1, 0]);
  });

  it('refuses a guest with an io-path, a duplicate name and a core the system lacks', async () => {
    const s = await session(2);
    s.addGuest(entry('a', 'hello'));
    expect(() => s.addGuest(entry('a', 'hello'))).toThrow(/already has a guest of that name/);
    expect(() => s.addGuest(entry('b', 'hello'), { core: 2 })).toThrow(/no core 2/);
    const io = { ...entry('c', 'ioload'), 'io-path': 'emulated' as const };
    expect(() => s.addGuest(io)).toThrow(UsageError);
  });
});

describe('Session.endGuest and releaseGuest', () => {
  it('ends one guest from outside while the others go on, and frees a stopped guest', async () => {
    const s = await session(1, true);
    s.addGuest(entry('spin', 'spin'));
    s.addGuest(entry('hello', 'hello'));
    s.runUntil({ cycles: 60_000 });
    expect(() => s.releaseGuest('spin')).toThrow(/still running/);
    s.endGuest('spin', 'cycle budget used');
    const ended = s.guest('spin');
    expect(ended.report.state).toBe('halted');
    expect(ended.report.exitCode).toBeNull();
    expect(ended.endedAt).toBeGreaterThanOrEqual(60_000);
    s.releaseGuest('spin');
    expect(s.runUntil().reason).toBe('all-stopped');
    expect(s.guest('hello').report.exitCode).toBe(0);
    const stop = s.events().find((e) => e.kind === 'guest-stop' && e.guest === 'spin');
    expect(stop).toMatchObject({ state: 'halted', detail: 'cycle budget used' });
    s.finish();
    expect(s.results().guests.map((g) => g.name)).toEqual(['spin', 'hello']);
  });
});
