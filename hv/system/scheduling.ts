/**
 * The scheduler of a booted system, from the system file's `scheduler` section: the policy with
 * its roles (guests pinned by a `core:`, the driver VM, the in-context path's core limit) and,
 * when the section is present, the I/O rate meter around it: each guest's rate and core become
 * counter tracks in the trace (`io rate <guest>`, `core <guest>`), its rate goes into the stats
 * (`io.rate`), and the delay from each I/O completion to the guest's next run into the
 * `sched.delay` distribution. Without the section the system runs today's round-robin with
 * `slice-cycles` and measures nothing more, so its outputs stay as they were.
 *
 * Placement at boot is the same for every policy: a guest with `core:` is pinned there, the
 * others start on core `index % cores` (the I/O-aware policy moves them later, from there).
 */
import type { SchedulerConfig } from '../core/scheduler-config.ts';
import { SCHEDULER_DEFAULTS } from '../core/scheduler-config.ts';
import type { SystemConfig } from '../core/system-config.ts';
import type { Vm } from '../core/vm.ts';
import { CreditScheduler } from '../sched/credit.ts';
import { IoAwareScheduler } from '../sched/io-aware.ts';
import { IoRateMeter } from '../sched/io-rate.ts';
import { MeteredScheduler } from '../sched/metered.ts';
import { MicroSliceScheduler } from '../sched/micro-slice.ts';
import { RoleTable } from '../sched/roles.ts';
import { RoundRobinScheduler } from '../sched/round-robin.ts';
import type { Scheduler } from '../sched/scheduler.ts';
import type { TraceRecorder } from '../trace/recorder.ts';

export interface Scheduling {
  readonly scheduler: Scheduler<Vm>;
  readonly roles: RoleTable<Vm>;
  /** The I/O rate meter (with a `scheduler` section only). */
  readonly meter: IoRateMeter<Vm> | undefined;
  /** The core of the driver VM (or where it would be): the I/O-aware policy's driver core. */
  readonly driverCore: number;
  /** The core guest `index` starts on when the system file does not pin it. */
  initialCore(index: number): number;
}

export interface SchedulingOptions {
  coreCount: number;
  recorder: TraceRecorder;
  hz: number;
}

export function createScheduling(config: SystemConfig, o: SchedulingOptions): Scheduling {
  const roles = new RoleTable<Vm>();
  const section = config.scheduler;
  const last = o.coreCount - 1;
  const driver = config.io?.['driver-vm'];
  const named = section?.policy === 'io-aware' ? section['driver-core'] : undefined;
  const driverCore = Math.min(driver ? (driver.core ?? last) : (named ?? last), last);
  const initialCore = (index: number) => index % o.coreCount;
  if (!section) return { scheduler: new RoundRobinScheduler<Vm>(config['slice-cycles']), roles, meter: undefined, driverCore, initialCore };
  const meter = new IoRateMeter<Vm>(section['io-rate-window'], o.hz);
  const policy = createPolicy(section, roles, o.coreCount, driverCore);
  const scheduler = new MeteredScheduler(policy, meter, {
    rate: (vm, at, rate) => o.recorder.record(counter(`io rate ${vm.name}`, at, vm.coreIndex, { 'requests/s': rate })),
    // The hypervisor sets a vCPU's floor to the time it is placed (boot) or leaves its core.
    placed: (vm, core, moved) => {
      o.recorder.record(counter(`core ${vm.name}`, vm.floor, core, { core }));
      if (!moved) o.recorder.record(counter(`io rate ${vm.name}`, vm.floor, core, { 'requests/s': 0 }));
    },
    schedDelay: (_vm, delay) => o.recorder.measure('sched.delay', delay),
  });
  return { scheduler, roles, meter, driverCore, initialCore };
}

function createPolicy(s: SchedulerConfig, roles: RoleTable<Vm>, cores: number, driverCore: number): Scheduler<Vm> {
  switch (s.policy) {
    case 'round-robin':
      return new RoundRobinScheduler<Vm>(s.slice);
    case 'credit':
      return new CreditScheduler<Vm>({
        slice: s.slice,
        tick: s.tick,
        ratelimit: s.ratelimit,
        boost: s.boost,
        steal: s.steal,
        cores,
        weight: (vm) => s.guests[vm.name]?.weight ?? SCHEDULER_DEFAULTS.weight,
        cap: (vm) => s.guests[vm.name]?.cap ?? 0,
        roles,
      });
    case 'micro-slice':
      return new MicroSliceScheduler<Vm>({ slice: s.slice, microSlices: s['micro-slices'], threshold: s.threshold, thresholdLow: s['threshold-low'], roles });
    case 'io-aware':
      return new IoAwareScheduler<Vm>({
        slice: s.slice,
        driverSlice: s['driver-slice'],
        driverCore,
        threshold: s.threshold,
        thresholdLow: s['threshold-low'],
        hold: s.hold,
        maxVms: s['max-vms'],
        swap: s.swap,
        roles,
      });
  }
}

function counter(name: string, ts: number, core: number, values: Record<string, number>) {
  return { kind: 'counter' as const, name, ts, core, values };
}
