/**
 * Boots systems with I/O (a driver VM, guests with an io-path and a disk) from an in-memory
 * configuration validated exactly like a system file, runs them, and returns the console lines,
 * the guests' reports and whatever `inspect` extracted before the system was closed. Also: fresh
 * zero-filled disk images in a temporary directory, SHA-256 of files and memory.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../../hv/core/hypervisor.ts';
import { validateSystem } from '../../hv/core/system-config.ts';
import type { Vm } from '../../hv/core/vm.ts';
import type { IoPathName } from '../../hv/io/io-path.ts';
import type { BootedSystem } from '../../hv/system/boot.ts';
import { Session } from '../../hv/system/session.ts';
import type { TraceEvent } from '../../hv/trace/events.ts';
import type { GuestReport } from '../../hv/trace/stats-file.ts';
import { findVm, imagePath } from './run-system.ts';

export const DRIVER_VM = 'driver-vm';

export interface IoGuestSpec {
  name: string;
  /** Image name in firmware/build (without .elf) or an absolute path; defaults to `name`. */
  image?: string;
  core?: number;
  ioPath?: IoPathName;
  disk?: string;
  cmdline?: string;
}

export interface IoRunOptions {
  cores?: number;
  /** Core of the driver VM (default 1); null: no driver VM. */
  driverCore?: number | null;
  untilCycles?: number;
  trace?: boolean;
  /** Extra fields of the system file's `io` section. */
  io?: Record<string, unknown>;
}

export interface IoRun<T> {
  result: RunResult;
  lines: Record<string, string[]>;
  reports: Record<string, GuestReport>;
  /** The guest's own lines, without hypervisor notices (`[hv] ...`). */
  output(guest: string): string[];
  inspected: T;
  /** Trace events (with `trace: true`). */
  events: readonly TraceEvent[];
}

/** Runs the system to its end (every guest stopped or idle) or `untilCycles`. */
export async function runIo<T = undefined>(
  guests: readonly IoGuestSpec[],
  options: IoRunOptions = {},
  inspect?: (system: BootedSystem, vm: (name: string) => Vm) => T,
): Promise<IoRun<T>> {
  const driverCore = options.driverCore === undefined ? 1 : options.driverCore;
  const io: Record<string, unknown> = { ...(options.io ?? {}) };
  if (driverCore !== null) io['driver-vm'] = { image: imagePath('driver-vm'), core: driverCore };
  const config = validateSystem(
    {
      cores: options.cores ?? 2,
      ...(Object.keys(io).length > 0 ? { io } : {}),
      guests: guests.map((g) => ({
        name: g.name,
        image: resolveImage(g.image ?? g.name),
        ...(g.core !== undefined ? { core: g.core } : {}),
        ...(g.ioPath ? { 'io-path': g.ioPath } : {}),
        ...(g.disk ? { disk: g.disk } : {}),
        ...(g.cmdline !== undefined ? { cmdline: g.cmdline } : {}),
      })),
    },
    join(tmpdir(), 'io-test.yaml'),
  );
  const session = await Session.open(config, { trace: options.trace ?? false });
  try {
    const result = session.runUntil({ cycles: options.untilCycles ?? 20_000_000_000 });
    session.finish();
    const lines: Record<string, string[]> = {};
    for (const { guest, line } of session.consoleLines()) (lines[guest] ??= []).push(line);
    const reports = Object.fromEntries(session.results().guests.map((r) => [r.name, r]));
    const inspected = inspect ? inspect(session.internals, (name) => findVm(session.internals, name)) : (undefined as T);
    return {
      result,
      lines,
      reports,
      output: (guest) => (lines[guest] ?? []).filter((l) => !l.startsWith('[hv] ')),
      inspected,
      events: session.events(),
    };
  } finally {
    session.close();
  }
}

function resolveImage(image: string): string {
  return image.startsWith('/') ? image : imagePath(image);
}

/** A temporary directory for disk images; `remove` deletes it. */
export function diskDir(prefix = 'hvlab-io-'): { dir: string; disk(name: string, bytes?: number): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    /** A fresh zero-filled raw image (default 1 MiB). */
    disk(name, bytes = 1 << 20) {
      const file = join(dir, name);
      writeFileSync(file, Buffer.alloc(bytes));
      return file;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

export function sha256File(file: string): string {
  return sha256(readFileSync(file));
}

/** SHA-256 of every memory region of a VM (name → hash). */
export function memoryHashes(vm: Vm): Record<string, string> {
  return Object.fromEntries(vm.board.memory.map((m) => [`${m.base.toString(16)}+${m.size.toString(16)}`, sha256(vm.engine.readMemory(m.base, m.size))]));
}
