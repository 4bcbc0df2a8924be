/**
 * Attaches a GDB remote stub to one guest of a session: serves the protocol on a TCP port of the
 * loopback interface. A halted guest holds the whole system still (virtual time stands still for
 * every guest), so debugging never changes what the other guests see.
 */
import { UsageError } from '../errors.ts';
import type { Session } from '../system/session.ts';
import { GuestDebugger } from './guest-debugger.ts';
import { SocketPipe } from './socket-pipe.ts';

export interface DebugOptions {
  /** TCP port on 127.0.0.1 (0: any free port; the debugger's `port` tells which). */
  port: number;
  /** Hold the whole system before the guest's first instruction until gdb connects and resumes. */
  wait?: boolean;
  /** Connection notices ("debugger connected", ...). */
  notice?(message: string): void;
}

/** The debuggers attached per session (one per guest at most). */
const attached = new WeakMap<Session, Set<string>>();

export async function attachDebugger(session: Session, name: string, options: DebugOptions): Promise<GuestDebugger> {
  const vm = session.internals.vms.find((v) => v.name === name);
  if (!vm) throw new UsageError(`no guest named "${name}" to debug`);
  const guests = attached.get(session) ?? new Set<string>();
  if (guests.has(name)) throw new UsageError(`guest ${name} already has a debugger`);
  const pipe = await SocketPipe.listen(options.port, `gdb port ${options.port} for guest ${name}`);
  const stub = new GuestDebugger(vm, pipe, {
    wait: options.wait ?? false,
    notice: options.notice ?? (() => {}),
    endRun: () => session.requestStop(),
  });
  session.attach(stub);
  guests.add(name);
  attached.set(session, guests);
  return stub;
}
