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
import { runAll } from '../cleanup.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { DRIVER_WINDOW_REGION } from '../io/driver-vm.ts';
import { IoSystem } from '../io/io-system.ts';
import type { IoObserver } from '../io/io-tracker.ts';
import { HV_MAX_CORES, HV_WINDOW_BASE } from '../io/layout.ts';
import type { IoRateMeter } from '../sched/io-rate.ts';
import { loadCostFile } from '../time/cost-file.ts';
import { type CostTable, defaultCosts, vcpuSwitchCycles } from '../time/cost-model.ts';
import { TraceRecorder } from '../trace/recorder.ts';
import { archFor } from './architectures.ts';
import { createScheduling } from './scheduling.ts';

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
  /** I/O lanes for guests with an io-path added later (a cluster slave's I/O capacity). */
  ioLanes?: number;
  /** Disk-snapshot overlays to start from, by guest name (a restored checkpoint's). */
  overlays?: ReadonlyMap<string, Uint8Array>;
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
  /** The guests' I/O rates (with a `scheduler` section in the system file). */
  readonly ioRates: IoRateMeter<Vm> | undefined;
  /**
   * Boots one more guest into the running system on `core` (a cluster slave's workload); it runs
   * from `at` on (or its core's present, if later). A guest with an io-path takes a free I/O lane.
   */
  addGuest(guest: GuestEntry, image: GuestImage, core: number, at: number): Vm;
  /** Frees what a stopped guest holds: its engine, and its I/O lane and disk. */
  release(vm: Vm): void;
  /** Releases the disks and every engine. */
  close(): void;
}

export function bootSystem(config: SystemConfig, options: BootOptions): BootedSystem {
  const coreCount = options.cores ?? config.cores;
  const board = BOARDS[config.board]!;
  const costs = options.costs ?? (config.costs ? loadCostFile(config.costs) : defaultCosts());
  checkSlice(config, costs);
  const recorder = new TraceRecorder(options.trace ?? false, options.traceLimit);
  const switches: { io?: IoSystem } = {};
  const scheduling = createScheduling(config, { coreCount, recorder, hz: board.clockHz });
  const hypervisor = new Hypervisor<Vm>(scheduling.scheduler, {
    cores: coreCount,
    costs,
    recorder,
    switchObservers: [(_core, _from, to) => switches.io?.driver?.vm === to && switches.io.worldSwitchToDriver()],
  });
  const parts: SystemParts = { config, options, hypervisor, scheduling, coreCount, services: { arch: archFor(board), costs, recorder, consoleLine: options.consoleLine } };
  const vms: Vm[] = [];
  let io: IoSystem | undefined;
  try {
    const guests = bootVms(parts, vms);
    checkDiskTrace(config, options);
    io = switches.io = createIo(parts, guests, vms);
  } catch (error) {
    runAll([() => io?.close(), ...vms.map((vm) => () => vm.close())]);
    throw error;
  }
  // Disks first: their data matters most; a failing step does not keep the others from closing.
  const close = () => runAll([() => io?.close(), ...vms.map((vm) => () => vm.close())]);
  const { addGuest, release } = lateGuests(parts, vms, io);
  return { config, hypervisor, vms, io, recorder, costs, coreCount, ioRates: scheduling.meter, addGuest, release, close };
}

/** What the steps of a boot share. */
interface SystemParts {
  readonly config: SystemConfig;
  readonly options: BootOptions;
  readonly hypervisor: Hypervisor<Vm>;
  readonly scheduling: ReturnType<typeof createScheduling>;
  readonly coreCount: number;
  readonly services: VmServices;
}

/** Creates one VM per guest on its core, then the driver VM; returns the guests (vms gets every VM as it is made). */
function bootVms(p: SystemParts, vms: Vm[]): Vm[] {
  const { config, options, hypervisor, scheduling, coreCount, services } = p;
  const images = config.guests.map((g) => readImage(g.image, { format: g.format, loadAddress: g['load-address'], name: g.imageName }));
  const driverConfig = config.io?.['driver-vm'];
  const driverImage = driverConfig && readImage(driverConfig.image, { name: driverConfig.imageName });
  const guests = config.guests.map((g, index) => {
    const vm = new Vm(guestConfig(config, g, index, images[index]!, options), services);
    vms.push(vm);
    if (g.core !== undefined) scheduling.roles.pin(vm);
    if (g['io-path'] === 'in-context') scheduling.roles.limitCores(vm, HV_MAX_CORES);
    hypervisor.addGuest(vm, Math.min(g.core ?? scheduling.initialCore(index), coreCount - 1));
    return vm;
  });
  if (driverConfig && driverImage) {
    const vm = new Vm(driverVmConfig(config, driverConfig, driverImage, guests.length, options), services);
    vms.push(vm);
    scheduling.roles.setDriver(vm);
    hypervisor.addGuest(vm, scheduling.driverCore);
  }
  return guests;
}

function checkDiskTrace(config: SystemConfig, options: BootOptions): void {
  if (options.diskTrace !== undefined && !config.guests.some((g) => g.disk)) {
    throw new UsageError(`--disk-trace ${options.diskTrace}: no guest has a disk`);
  }
}

/** The I/O system, when a guest has an io-path or guests with one may come later (I/O lanes). */
function createIo(p: SystemParts, guests: Vm[], vms: readonly Vm[]): IoSystem | undefined {
  const { config, options, hypervisor, coreCount, services } = p;
  if (!config.guests.some((g) => g['io-path']) && (options.ioLanes ?? 0) === 0) return undefined;
  return new IoSystem({
    config,
    guests,
    driverVm: config.io?.['driver-vm'] ? vms[guests.length] : undefined,
    costs: services.costs,
    recorder: services.recorder,
    cores: coreCount,
    arch: services.arch,
    observer: (vm) => ioSignals(hypervisor, vm),
    diskTrace: options.diskTrace,
    lanes: options.ioLanes,
    overlays: options.overlays,
  });
}

/** Guests booted into the running system (a cluster slave's workloads) and their release. */
function lateGuests(p: SystemParts, vms: Vm[], io: IoSystem | undefined): Pick<BootedSystem, 'addGuest' | 'release'> {
  const { config, options, hypervisor, services } = p;
  const lanes = new Array<Vm | undefined>(options.ioLanes ?? 0);
  const addGuest = (guest: GuestEntry, image: GuestImage, core: number, at: number): Vm => {
    if (vms.some((vm) => vm.name === guest.name)) throw new UsageError(`guest ${guest.name}: the system already has a guest of that name`);
    const lane = guest['io-path'] ? freeLane(lanes, guest.name) : undefined;
    const vm = new Vm(guestConfig(config, guest, vms.length, image, options), services);
    try {
      if (lane !== undefined) io!.addGuest(vm, guest, lane);
    } catch (error) {
      vm.close();
      throw error;
    }
    if (lane !== undefined) lanes[lane] = vm;
    vms.push(vm);
    hypervisor.addGuest(vm, core);
    vm.floor = Math.max(vm.floor, at);
    return vm;
  };
  const release = (vm: Vm) => {
    const lane = lanes.indexOf(vm);
    if (lane >= 0) {
      io!.releaseGuest(vm);
      lanes[lane] = undefined;
    }
    vm.close();
  };
  return { addGuest, release };
}

function freeLane(lanes: ReadonlyArray<Vm | undefined>, guest: string): number {
  for (let i = 0; i < lanes.length; i++) if (lanes[i] === undefined) return i;
  throw new UsageError(`guest ${guest}: no free I/O lane (the system has ${lanes.length})`);
}

/** Guest cycles a slice must leave after the vCPU switch that starts it. */
const MIN_GUEST_CYCLES_PER_SLICE = 100;

/**
 * A slice starts with the vCPU switch: a slice no longer than the switch would let no guest
 * instruction run, ever (and the run would never end).
 */
function checkSlice(config: SystemConfig, costs: CostTable): void {
  const slice = config['slice-cycles'];
  const switchCost = vcpuSwitchCycles(costs);
  const least = switchCost + MIN_GUEST_CYCLES_PER_SLICE;
  if (slice >= least) return;
  throw new ConfigError(
    `${config.source}: slice-cycles: ${slice} leaves the guest ${Math.max(0, slice - switchCost)} cycles per slice after a vCPU switch of ${switchCost} cycles (with this cost table); use at least ${least}`,
  );
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
    exceptionBudget: g['exception-budget'] === false ? undefined : g['exception-budget'],
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

