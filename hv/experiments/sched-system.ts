/**
 * The consolidated system of `hv experiment sched`: `cores` cores, the driver VM on the last one,
 * `io-vms` I/O guests on the chosen I/O path (in turn an I/O-bound `iobound`, a latency-sensitive
 * `latency` and a phase-changing `phased`, each with its own zero-filled disk and no disk cache,
 * so that every request reaches the device) and `cpu-vms` CPU-bound `compute` guests. No guest is
 * pinned: the policy places them (they start on core `index % cores`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SystemConfig, validateSystem } from '../core/system-config.ts';
import { ConfigError, UsageError } from '../errors.ts';
import type { ParamValue, PolicySpec, Workload } from './sched-spec.ts';

export type SchedIoPath = 'split' | 'in-context';
export const SCHED_IO_PATHS: readonly SchedIoPath[] = ['split', 'in-context'];

export type VmKind = 'iobound' | 'latency' | 'phased' | 'compute' | 'driver';
const IO_KINDS: readonly VmKind[] = ['iobound', 'latency', 'phased'];

export interface PlannedVm {
  readonly name: string;
  readonly kind: VmKind;
}

export const DRIVER_VM_NAME = 'driver-vm';
const DISK_BYTES = 1 << 20;

/** The guests of a workload, in system-file order. */
export function plannedGuests(w: Workload): PlannedVm[] {
  const io = Array.from({ length: w['io-vms'] }, (_, i) => {
    const kind = IO_KINDS[i % IO_KINDS.length]!;
    return { name: `${kind}-${Math.floor(i / IO_KINDS.length) + 1}`, kind };
  });
  const cpu = Array.from({ length: w['cpu-vms'] }, (_, i) => ({ name: `compute-${i + 1}`, kind: 'compute' as const }));
  return [...io, ...cpu];
}

export interface SystemPlan {
  workload: Workload;
  policy: PolicySpec;
  /** Scheduler parameters over the policy's own (a sweep point). */
  extra: Readonly<Record<string, ParamValue>>;
  ioPath: SchedIoPath;
  firmwareDir: string;
  /** Where the disks (and the system file name in errors) go. */
  workDir: string;
}

export function buildSystem(plan: SystemPlan): SystemConfig {
  const { workload: w, firmwareDir } = plan;
  const image = (name: string) => join(firmwareDir, `${name}.elf`);
  const guests = plannedGuests(w).map((vm) => {
    if (vm.kind === 'compute') return { name: vm.name, image: image('compute') };
    const disk = join(plan.workDir, `${vm.name}.img`);
    writeFileSync(disk, Buffer.alloc(DISK_BYTES));
    return { name: vm.name, image: image(vm.kind), 'io-path': plan.ioPath, disk, cmdline: cmdline(vm.kind, w) };
  });
  const data = {
    cores: w.cores,
    scheduler: { policy: plan.policy.policy, ...plan.policy.params, ...plan.extra },
    io: { 'driver-vm': { image: image('driver-vm'), name: DRIVER_VM_NAME }, cache: { policy: 'none' } },
    guests,
  };
  try {
    return validateSystem(data, `--policies ${plan.policy.label}`);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function cmdline(kind: VmKind, w: Workload): string {
  switch (kind) {
    case 'iobound':
      return `think=${w.think}`;
    case 'latency':
      return `period=${w.period}`;
    default:
      return `cpu=${w['phase-cpu']} burst=${w.burst}`;
  }
}
