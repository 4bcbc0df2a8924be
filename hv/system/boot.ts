/**
 * Boots a system from its validated configuration: reads every image, creates one VM per guest
 * on its core (and the driver VM), wires their consoles, the cost table, the scheduler, the
 * trace recorder and the I/O system to a hypervisor. What it returns is what a session runs.
 */
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';
import { DEFAULT_CONSOLE_LIMIT } from '../core/guest-console.ts';
import { Hypervisor } from '../core/hypervisor.ts';
import { type GuestImage, readImage } from '../core/image.ts';
import type { SystemConfig } from '../core/system-config.ts';
import { Vm, type VmServices } from '../core/vm.ts';
import { UsageError } from '../errors.ts';
import { DRIVER_WINDOW_REGION } from '../io/driver-vm.ts';
import { IoSystem } from '../io/io-system.ts';
import type { IoObserver } from '../io/io-tracker.ts';
import { HV_WINDOW_BASE } from '../io/layout.ts';
import { RoundRobinScheduler } from '../sched/round-robin.ts';
import { loadCostFile } from '../time/cost-file.ts';
import { type CostTable, defaultCosts } from '../time/cost-model.ts';
import { TraceRecorder } from '../trace/recorder.ts';
import { archFor } from './architectures.ts';

export interface BootOptions {
  /** Overrides the system file's core count. */
  cores?: number;
  /** Keep trace events for a trace file. */
  trace?: boolean;
  /** Most trace events kept (the rest are counted as dropped). */
  traceLimit?: number;
  /** Receives each complete console line of a guest. */
  consoleLine(guest: string, line: string): void;
  costs?: CostTable;
  /** Consecutive faults at one PC after which a guest is stopped. */
  faultLoopLimit?: number;
  /** Record the guests' block requests into this file (simulator format). */
  diskTrace?: string;
}

export interface BootedSystem {
  readonly config: SystemConfig;
  readonly hypervisor: Hypervisor<Vm>;
  /** Every VM, guests in system-file order, then the driver VM. */
  readonly vms: readonly Vm[];
  /** The guests' I/O (when any guest has an io-path). */
  readonly io: IoSystem | undefined;
  readonly recorder: TraceRecorder;
  readonly costs: CostTable;
  readonly coreCount: number;
  /** Releases the disks and every engine. */
  close(): void;
}

export function bootSystem(config: SystemConfig, options: BootOptions): BootedSystem {
  const coreCount = options.cores ?? config.cores;
  const board = BOARDS[config.board]!;
  const arch = archFor(board);
  const costs = options.costs ?? (config.costs ? loadCostFile(config.costs) : defaultCosts());
  const recorder = new TraceRecorder(options.trace ?? false, options.traceLimit);
  const switches: { io?: IoSystem } = {};
  const hypervisor = new Hypervisor<Vm>(new RoundRobinScheduler<Vm>(config['slice-cycles']), {
    cores: coreCount,
    costs,
    recorder,
    switchObservers: [(_core, _from, to) => switches.io?.driver?.vm === to && switches.io.worldSwitchToDriver()],
  });
  const services: VmServices = { arch, costs, recorder, consoleLine: options.consoleLine };
  const images = config.guests.map((g) => readImage(g.image, { format: g.format, loadAddress: g['load-address'] }));
  const driverConfig = config.io?.['driver-vm'];
  const driverImage = driverConfig && readImage(driverConfig.image);
  const vms: Vm[] = [];
  let io: IoSystem | undefined;
  try {
    const guests = config.guests.map((g, index) => {
      const vm = new Vm(guestConfig(config, g, index, images[index]!, options), services);
      vms.push(vm);
      hypervisor.addGuest(vm, Math.min(g.core ?? index % coreCount, coreCount - 1));
      return vm;
    });
    if (driverConfig && driverImage) {
      const vm = new Vm(driverVmConfig(config, driverConfig, driverImage, guests.length, options), services);
      vms.push(vm);
      hypervisor.addGuest(vm, Math.min(driverConfig.core ?? coreCount - 1, coreCount - 1));
    }
    if (options.diskTrace !== undefined && !config.guests.some((g) => g.disk)) {
      throw new UsageError(`--disk-trace ${options.diskTrace}: no guest has a disk`);
    }
    if (config.guests.some((g) => g['io-path'])) {
      io = new IoSystem({
        config,
        guests,
        driverVm: driverConfig ? vms[guests.length] : undefined,
        costs,
        recorder,
        cores: coreCount,
        arch,
        observer: (vm) => ioSignals(hypervisor, vm),
        diskTrace: options.diskTrace,
      });
      switches.io = io;
    }
  } catch (error) {
    for (const vm of vms) vm.close();
    io?.close();
    throw error;
  }
  const close = () => {
    io?.close();
    vms.forEach((vm) => vm.close());
  };
  return { config, hypervisor, vms, io, recorder, costs, coreCount, close };
}

type GuestEntry = SystemConfig['guests'][number];
type DriverConfig = NonNullable<NonNullable<SystemConfig['io']>['driver-vm']>;

function guestConfig(config: SystemConfig, g: GuestEntry, index: number, image: GuestImage, options: BootOptions) {
  return {
    name: g.name,
    index,
    board: BOARDS[config.board]!,
    image,
    memory: { code: g['code-size'], sram: g['sram-size'] },
    semihosting: g.semihosting,
    consoleLimit: g['console-limit'],
    cmdline: g.cmdline,
    vectorTable: g['vector-table'],
    timing: config.timing,
    faultLoopLimit: options.faultLoopLimit ?? 16,
  };
}

/** The driver VM: its image runs in the driver window, which it boots from. */
function driverVmConfig(config: SystemConfig, driver: DriverConfig, image: GuestImage, index: number, options: BootOptions) {
  return {
    name: driver.name,
    index,
    board: BOARDS[config.board]!,
    image,
    memory: {},
    semihosting: true,
    consoleLimit: DEFAULT_CONSOLE_LIMIT,
    faultLoopLimit: options.faultLoopLimit ?? 16,
    extraMemory: [DRIVER_WINDOW_REGION],
    vectorTable: HV_WINDOW_BASE,
    timing: config.timing,
  };
}

/** A guest's I/O submissions and completions, as the scheduler's signals. */
function ioSignals(hypervisor: Hypervisor<Vm>, vm: Vm): IoObserver {
  return {
    submitted: (at) => hypervisor.signal({ kind: 'io-submitted', vcpu: vm, at }),
    completed: (at, latency, requests) => hypervisor.signal({ kind: 'io-completed', vcpu: vm, at, latency, requests }),
  };
}

