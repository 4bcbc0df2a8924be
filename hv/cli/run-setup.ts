/**
 * What `hv run` sets up around a session besides running it: the system it runs (single-image
 * settings applied), the GDB servers, the UART inputs (scripts or the terminal), and which guest
 * an option without a GUEST part means.
 */
import { extname } from 'node:path';
import { type SystemConfig, loadSystemFile, singleImageSystem } from '../core/system-config.ts';
import { UsageError } from '../errors.ts';
import type { Session } from '../system/session.ts';
import { readUartScript } from '../system/uart-script.ts';
import type { RunOptions } from './run-options.ts';
import { TerminalInput } from './terminal-input.ts';

const SINGLE_IMAGE_OPTIONS = [
  ['timing', '--timing', 'timing'],
  ['cmdline', '--cmdline', 'guests[].cmdline'],
  ['codeSize', '--code-size', 'guests[].code-size'],
  ['sramSize', '--sram-size', 'guests[].sram-size'],
] as const;

export function resolveSystem(target: string, o: RunOptions): SystemConfig {
  const ext = extname(target).toLowerCase();
  const isSystemFile = ext === '.yaml' || ext === '.yml';
  if (!isSystemFile) return singleImageSystem(target, { timing: o.timing, cmdline: o.cmdline, 'code-size': o.codeSize, 'sram-size': o.sramSize });
  for (const [key, flag, field] of SINGLE_IMAGE_OPTIONS) {
    if (o[key] !== undefined) throw new UsageError(`${flag} applies to a single image; in a system file set ${field} (${target})`);
  }
  return loadSystemFile(target);
}

/** The guest an option names, or the only guest when it names none. */
export function guestFor(option: string, guest: string | undefined, config: SystemConfig): string {
  const names = config.guests.map((g) => g.name);
  const driver = config.io?.['driver-vm']?.name;
  if (guest === undefined) {
    if (names.length === 1) return names[0]!;
    throw new UsageError(`${option}: name the guest (GUEST:...): the system has ${names.join(', ')}`);
  }
  if (!names.includes(guest) && guest !== driver) throw new UsageError(`${option}: no guest named "${guest}" (guests: ${names.join(', ')})`);
  return guest;
}

/** GDB servers: the system file's `gdb` fields, then --gdb (which wins for its guest). */
export async function startDebuggers(session: Session, config: SystemConfig, o: RunOptions, notice: (m: string) => void): Promise<void> {
  const ports = new Map<string, { port: number; wait: boolean }>();
  for (const g of config.guests) if (g.gdb !== undefined) ports.set(g.name, { port: g.gdb, wait: g['gdb-wait'] });
  for (const spec of o.gdb) ports.set(guestFor('--gdb', spec.guest, config), { port: spec.port, wait: false });
  if (o.gdbWait && o.gdb.length === 0 && ports.size === 0) throw new UsageError('--gdb-wait: expected --gdb (or a guest with a gdb port in the system file)');
  if (ports.size === 0) return;
  const { attachDebugger } = await import('../debug/attach.ts');
  for (const [guest, { port, wait }] of ports) {
    const stub = await attachDebugger(session, guest, { port, wait: wait || (o.gdbWait ?? false), notice });
    notice(`gdb: guest ${guest} serves the GDB remote protocol on 127.0.0.1:${stub.port}${wait || o.gdbWait ? ' (waiting for gdb before the first instruction)' : ''}`);
  }
}

/** UART inputs: scripts are queued at their virtual times; the terminal feeds one guest as typed. */
export function startUartInputs(session: Session, config: SystemConfig, o: RunOptions, hz: number): TerminalInput | undefined {
  const terminals = o.uartInput.filter((spec) => spec.file === '-');
  if (terminals.length > 1) throw new UsageError('--uart-input: only one guest can read the terminal');
  for (const spec of o.uartInput.filter((s) => s.file !== '-')) {
    const feed = session.uartInput(guestFor('--uart-input', spec.guest, config));
    for (const event of readUartScript(spec.file, hz)) feed.send(event.bytes, event.at);
  }
  const terminal = terminals[0];
  return terminal && new TerminalInput(session.uartInput(guestFor('--uart-input', terminal.guest, config)));
}
