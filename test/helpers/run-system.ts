/**
 * Boots a system from an in-memory configuration (validated exactly like a system file), runs it,
 * and returns every console line (per guest and in order) and every guest's report. The system is
 * always closed before this returns; `inspect` sees it after the run and before it is closed.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunResult } from '../../hv/core/hypervisor.ts';
import { validateSystem } from '../../hv/core/system-config.ts';
import type { Vm } from '../../hv/core/vm.ts';
import type { BootedSystem } from '../../hv/system/boot.ts';
import { Session } from '../../hv/system/session.ts';
import type { GuestReport } from '../../hv/trace/stats-file.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const FIRMWARE_DIR = join(REPO_ROOT, 'firmware');
export const FIRMWARE_BUILD = join(FIRMWARE_DIR, 'build');

/** Absolute path of a prebuilt image: `imagePath('hello')` is firmware/build/hello.elf. */
export function imagePath(name: string): string {
  return join(FIRMWARE_BUILD, `${name}.elf`);
}

export interface GuestSpec {
  name: string;
  /** An image name in firmware/build (without `.elf`) or an absolute path; defaults to `name`. */
  image?: string;
  core?: number;
  consoleLimit?: number;
  semihosting?: boolean;
}

export interface RunSystemOptions {
  cores?: number;
  sliceCycles?: number;
  /** Stop when virtual time reaches this many cycles (default: until every guest has stopped). */
  untilCycles?: number;
  faultLoopLimit?: number;
  /** Runs after the run and before the system is closed (guest memory is still readable). */
  inspect?: (system: BootedSystem, vm: (name: string) => Vm) => void;
}

export interface ConsoleEntry {
  guest: string;
  line: string;
}

export interface SystemRun {
  result: RunResult;
  /** Every console line of each guest, hypervisor notices (`[hv] ...`) included. */
  lines: Record<string, string[]>;
  /** Every console line of every guest, in the order they were emitted. */
  all: ConsoleEntry[];
  reports: Record<string, GuestReport>;
  /** The guest's own output: its lines without the hypervisor's `[hv] ...` notices. */
  output(guest: string): string[];
  /** The guest's `[hv] ...` notices, without the prefix. */
  notices(guest: string): string[];
  /** The whole console as `hv run` prints it: `[guest] line\n` per line. */
  transcript(): string;
}

const HV_PREFIX = '[hv] ';

export async function runSystem(guests: readonly GuestSpec[], options: RunSystemOptions = {}): Promise<SystemRun> {
  const config = validateSystem(
    {
      cores: options.cores ?? 1,
      ...(options.sliceCycles !== undefined ? { 'slice-cycles': options.sliceCycles } : {}),
      guests: guests.map((g) => ({
        name: g.name,
        image: resolveImage(g.image ?? g.name),
        ...(g.core !== undefined ? { core: g.core } : {}),
        ...(g.consoleLimit !== undefined ? { 'console-limit': g.consoleLimit } : {}),
        ...(g.semihosting !== undefined ? { semihosting: g.semihosting } : {}),
      })),
    },
    'test.yaml',
  );
  const session = await Session.open(config, { faultLoopLimit: options.faultLoopLimit });
  try {
    const result = session.runUntil({ cycles: options.untilCycles });
    // As `hv run` does: a running guest's last unterminated line is printed at the end.
    session.finish();
    const all = [...session.consoleLines()];
    const lines: Record<string, string[]> = Object.fromEntries(guests.map((g) => [g.name, [] as string[]]));
    for (const { guest, line } of all) (lines[guest] ??= []).push(line);
    const reports = Object.fromEntries(session.results().guests.map((r) => [r.name, r]));
    options.inspect?.(session.internals, (name) => findVm(session.internals, name));
    return {
      result,
      lines,
      all,
      reports,
      output: (guest) => (lines[guest] ?? []).filter((l) => !l.startsWith(HV_PREFIX)),
      notices: (guest) => (lines[guest] ?? []).filter((l) => l.startsWith(HV_PREFIX)).map((l) => l.slice(HV_PREFIX.length)),
      transcript: () => all.map((e) => `[${e.guest}] ${e.line}\n`).join(''),
    };
  } finally {
    session.close();
  }
}

/** The VM named `name` of a booted system. */
export function findVm(system: BootedSystem, name: string): Vm {
  const vm = system.vms.find((v) => v.name === name);
  if (!vm) throw new Error(`no VM named ${name}`);
  return vm;
}

/** Runs one prebuilt image alone on one core (the guest is named after the image). */
export function runImage(name: string, options: RunSystemOptions & { consoleLimit?: number } = {}): Promise<SystemRun> {
  return runSystem([{ name, consoleLimit: options.consoleLimit }], options);
}

function resolveImage(image: string): string {
  return image.startsWith('/') ? image : imagePath(image);
}
