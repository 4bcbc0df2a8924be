/**
 * The state of a booted system between runs, component by component, and its restore into a
 * system freshly booted from the same configuration. Each component saves and restores itself
 * (saveState/restoreState); this module only knows the order a restore needs:
 *
 *  1. every VM's event queue starts its restore (events are closures: each component re-creates
 *     its own, and the queue gives them back their places, see hv/time/event-queue.ts);
 *  2. the hypervisor (core clocks, who runs where, who started, who waits), the scheduler and
 *     the trace recorder;
 *  3. every VM but its vCPU: memory, devices (which re-create their events and drive their
 *     interrupt lines), console, counters;
 *  4. the I/O system (transports, trackers, in-flight work, the physical devices, the block cache),
 *     and what the caller restores besides (the session's UART inputs);
 *  5. every vCPU, last: its interrupt controller's pending bits and line levels are the saved
 *     ones, whatever the devices drove before;
 *  6. every queue ends its restore, which fails if an event was not re-created or not saved.
 *
 * The scheduling policies are saved by the object-state visitor (hv/object-state.ts), with vCPUs
 * named: every policy's maps, queues and accounts are covered, whatever fields it grows.
 */
import type { HypervisorState } from '../core/hypervisor.ts';
import type { Vm, VmState } from '../core/vm.ts';
import { UsageError } from '../errors.ts';
import type { IoSystemState } from '../io/io-system.ts';
import { applyState, captureState } from '../object-state.ts';
import type { EventQueueState } from '../time/event-queue.ts';
import type { RecorderState } from '../trace/recorder.ts';
import type { BootedSystem } from './boot.ts';

export interface SystemState {
  readonly hypervisor: HypervisorState;
  readonly scheduler: unknown;
  readonly recorder: RecorderState;
  readonly vms: ReadonlyArray<{ readonly name: string; readonly vm: VmState; readonly events: EventQueueState }>;
  readonly io: IoSystemState | undefined;
}

export function saveSystem(system: BootedSystem): SystemState {
  checkComposition(system);
  return {
    hypervisor: system.hypervisor.saveState(),
    scheduler: captureState(system.hypervisor.scheduler, schedulerRefs(system)),
    recorder: system.recorder.saveState(),
    vms: system.vms.map((vm) => ({ name: vm.name, vm: vm.saveState(), events: vm.clock.queue.saveState() })),
    io: system.io?.saveState(),
  };
}

/** Restores `state` into `system` (booted from the same configuration); `more` restores what else schedules events. */
export function restoreSystem(system: BootedSystem, state: SystemState, more: () => void = () => {}): void {
  const saved = state.vms.map((s) => ({ vm: vmNamed(system, s.name), s }));
  for (const { vm, s } of saved) vm.clock.queue.beginRestore(s.events);
  system.hypervisor.restoreState(state.hypervisor);
  const refs = new Map([...schedulerRefs(system)].map(([object, name]) => [name, object]));
  applyState(system.hypervisor.scheduler, state.scheduler, refs);
  system.recorder.restoreState(state.recorder);
  for (const { vm, s } of saved) vm.restoreState(s.vm);
  if (state.io) system.io?.restoreState(state.io);
  more();
  for (const { vm, s } of saved) vm.restoreCpu(s.vm);
  for (const { vm } of saved) vm.clock.queue.endRestore(vm.name);
}

/** What the policies refer to by name: the vCPUs (and, defensively, the recorder). */
function schedulerRefs(system: BootedSystem): Map<object, string> {
  const refs = new Map<object, string>(system.vms.map((vm) => [vm, `vm ${vm.name}`]));
  refs.set(system.recorder, 'recorder');
  return refs;
}

function vmNamed(system: BootedSystem, name: string): Vm {
  const vm = system.vms.find((v) => v.name === name);
  if (!vm) throw new UsageError(`checkpoint restore: the system has no VM named ${name}`);
  return vm;
}

/** Only a system as its configuration describes it can be rebuilt for a restore. */
function checkComposition(system: BootedSystem): void {
  const expected = system.config.guests.length + (system.config.io?.['driver-vm'] ? 1 : 0);
  if (system.vms.length !== expected) {
    throw new UsageError(`a checkpoint needs the system its configuration describes: ${system.vms.length - expected} guests were added while it ran (Session.addGuest)`);
  }
}
