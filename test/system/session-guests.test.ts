/** Session.addGuest / endGuest / guest / releaseGuest: guests joining and leaving a running session. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type GuestEntry, type SystemConfig, validateSystem } from '../../hv/core/system-config.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IoSystem } from '../../hv/io/io-system.ts';
import { Session } from '../../hv/system/session.ts';
import { makeTempDir } from '../helpers/hv-cli.ts';
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

  it('refuses a duplicate name, a core the system lacks, and an io-path without a free I/O lane', async () => {
    const s = await session(2);
    s.addGuest(entry('a', 'hello'));
    expect(() => s.addGuest(entry('a', 'hello'))).toThrow(/already has a guest of that name/);
    expect(() => s.addGuest(entry('b', 'hello'), { core: 2 })).toThrow(/no core 2/);
    expect(() => s.addGuest(entry('c', 'ioload', { 'io-path': 'emulated' }))).toThrow(/no free I\/O lane \(the system has 0\)/);
    expect(() => s.addGuest(entry('d', 'hello'))).not.toThrow();
  });
});

describe('Session.addGuest with I/O', () => {
  const dirs: Array<{ remove(): void }> = [];
  afterEach(() => dirs.splice(0).forEach((d) => d.remove()));

  function blankDisk(name: string): string {
    const dir = makeTempDir();
    dirs.push(dir);
    const file = join(dir.dir, `${name}.raw`);
    writeFileSync(file, new Uint8Array(1 << 20));
    return file;
  }

  it('wires the virtio-blk of an added guest on a lane: the same I/O and output as a guest booted with the system', async () => {
    const ioload = (name: string) => ({ 'io-path': 'emulated', disk: blankDisk(name), cmdline: 'requests=4' });
    const booted = await Session.open(validateSystem({ guests: [{ name: 'io', image: imagePath('ioload'), ...ioload('booted') }] }, 't.yaml'));
    open.push(booted);
    booted.runUntil();
    const s = await Session.open(emptySystem(1), { ioLanes: 1 });
    open.push(s);
    s.addGuest(entry('io', 'ioload', ioload('added')));
    expect(s.runUntil().reason).toBe('all-stopped');
    expect(s.consoleLines()).toEqual(booted.consoleLines());
    expect(s.consoleLines().some((l) => /ioload: 32 requests, 0 errors, read checksum 0x[0-9a-f]{8}/.test(l.line))).toBe(true);
    expect(s.guest('io').report.io).toEqual(booted.guest('io').report.io);
  });

  it('frees the lane of a released guest for the next one, and refuses one more than the lanes', async () => {
    const s = await Session.open(emptySystem(1), { ioLanes: 1 });
    open.push(s);
    s.addGuest(entry('first', 'ioload', { 'io-path': 'emulated', disk: blankDisk('first'), cmdline: 'requests=1' }));
    expect(() => s.addGuest(entry('second', 'ioload', { 'io-path': 'emulated', disk: blankDisk('second') }))).toThrow(/no free I\/O lane/);
    s.runUntil();
    s.releaseGuest('first');
    s.addGuest(entry('second', 'ioload', { 'io-path': 'emulated', disk: blankDisk('second'), cmdline: 'requests=1' }));
    s.runUntil();
    expect(s.guest('second').report.exitCode).toBe(0);
    expect(s.guest('second').report.io?.errors).toBe(0);
  });
  it('serves a disk file again to a later guest after the guest that had it was released', async () => {
    const s = await Session.open(emptySystem(1), { ioLanes: 1 });
    open.push(s);
    const disk = blankDisk('shared');
    s.addGuest(entry('first', 'ioload', { 'io-path': 'emulated', disk, cmdline: 'requests=2' }));
    s.runUntil();
    s.releaseGuest('first');
    // The block cache keeps the file's blocks under one id; write-backs must use the new handle.
    s.addGuest(entry('second', 'ioload', { 'io-path': 'emulated', disk, cmdline: 'requests=2' }));
    s.runUntil();
    expect(s.guest('second').report.exitCode).toBe(0);
    expect(s.guest('second').report.io?.errors).toBe(0);
  });

  it('leaves the lane and the disk free when wiring an added guest fails', async () => {
    const s = await Session.open(emptySystem(1), { ioLanes: 1 });
    open.push(s);
    // The guest's I/O fails to wire once (as an MMIO mapping could), after its disk was opened.
    const wire = vi.spyOn(IoSystem.prototype as unknown as { wireGuest(): unknown }, 'wireGuest').mockImplementationOnce(() => {
      throw new Error('wiring failed');
    });
    const disk = blankDisk('first');
    expect(() => s.addGuest(entry('first', 'ioload', { 'io-path': 'emulated', disk, cmdline: 'requests=1' }))).toThrow(/wiring failed/);
    wire.mockRestore();
    // The same lane and the same disk serve the next guest; closing flushes no half-wired disk.
    s.addGuest(entry('second', 'ioload', { 'io-path': 'emulated', disk, cmdline: 'requests=1' }));
    s.runUntil();
    expect(s.guest('second').report.exitCode).toBe(0);
    expect(s.guest('second').report.io?.errors).toBe(0);
    expect(s.internals.io!.guests.map((g) => g.vm.name)).toEqual(['second']);
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
