/**
 * Boots a system from its validated configuration: reads every image, creates one VM per guest
 * on its core, and wires their consoles, the cost table and the trace recorder to a hypervisor.
 */
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';
import { RoundRobinScheduler } from '../sched/round-robin.ts';
import { loadCostFile } from '../time/cost-file.ts';
import { type CostTable, defaultCosts } from '../time/cost-model.ts';
import { TraceRecorder } from '../trace/recorder.ts';
import { UsageError } from '../errors.ts';
import { Hypervisor } from './hypervisor.ts';
import { type GuestImage, readImage } from './image.ts';
import type { BoardDescription } from '../../devices/platforms/board.ts';
import { DRIVER_WINDOW_REGION } from '../io/driver-vm.ts';
import { IoSystem } from '../io/io-system.ts';
import { HV_WINDOW_BASE } from '../io/layout.ts';
import { DEFAULT_CONSOLE_LIMIT } from './guest-console.ts';
import type { SystemConfig } from './system-config.ts';
import { Vm, type VmServices } from './vm.ts';

export interface BootOptions {
  /** Overrides the system file's core count. */
  cores?: number;
  /** Keep trace events for a trace file. */
  trace?: boolean;
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
  readonly hypervisor: Hypervisor;
  /** The guests' I/O (when any guest has an io-path). */
  readonly io: IoSystem | undefined;
  readonly recorder: TraceRecorder;
  readonly costs: CostTable;
  readonly coreCount: number;
  /** Releases every engine. */
  close(): void;
}

export function bootSystem(config: SystemConfig, options: BootOptions): BootedSystem {
  const coreCount = options.cores ?? config.cores;
  const board = BOARDS[config.board]!;
  const costs = options.costs ?? (config.costs ? loadCostFile(config.costs) : defaultCosts());
  const recorder = new TraceRecorder(options.trace ?? false);
  const hypervisor = new Hypervisor(coreCount, new RoundRobinScheduler<Vm>(config['slice-cycles']), recorder);
  const images = config.guests.map((g) => readImage(g.image, { format: g.format, loadAddress: g['load-address'], name: g.imageName }));
  const driverConfig = config.io?.['driver-vm'];
  const driverImage = driverConfig && readImage(driverConfig.image, { name: driverConfig.imageName });
  const services = (core: number) => ({
    costs,
    recorder,
    coreNow: () => hypervisor.cores[core]!.clock,
    core: () => core,
    consoleLine: options.consoleLine,
  });
  let io: IoSystem | undefined;
  try {
    const guests = config.guests.map((g, index) => {
      const core = Math.min(g.core ?? index % coreCount, coreCount - 1);
      const vm = new Vm(
        {
          name: g.name,
          index,
          board,
          image: images[index]!,
          memory: { code: g['code-size'], sram: g['sram-size'] },
          semihosting: g.semihosting,
          consoleLimit: g['console-limit'],
          cmdline: g.cmdline,
          vectorTable: g['vector-table'],
          timing: config.timing,
          faultLoopLimit: options.faultLoopLimit ?? 16,
        },
        services(core),
      );
      hypervisor.addGuest(vm, core);
      return vm;
    });
    const driverVm = driverConfig && driverImage && bootDriverVm(driverConfig, driverImage, guests.length, coreCount, board, { ...options, timing: config.timing }, services);
    if (driverVm) hypervisor.addGuest(driverVm.vm, driverVm.core);
    if (options.diskTrace !== undefined && !config.guests.some((g) => g.disk)) {
      throw new UsageError(`--disk-trace ${options.diskTrace}: no guest has a disk`);
    }
    if (config.guests.some((g) => g['io-path'])) {
      io = new IoSystem({
        config,
        guests,
        driverVm: driverVm?.vm,
        costs,
        recorder,
        cores: coreCount,
        coreOf: (vm) => hypervisor.coreOf(vm),
        diskTrace: options.diskTrace,
      });
      const driver = io.driver;
      if (driver) for (const core of hypervisor.cores) core.onSwitch = (_from, to) => to === driver.vm && io?.worldSwitchToDriver();
    }
  } catch (error) {
    for (const vm of hypervisor.vms) vm.close();
    io?.close();
    throw error;
  }
  const close = () => {
    io?.close();
    hypervisor.vms.forEach((vm) => vm.close());
  };
  return { config, hypervisor, io, recorder, costs, coreCount, close };
}

type DriverConfig = NonNullable<NonNullable<SystemConfig['io']>['driver-vm']>;

/** The driver VM: its image runs in the driver window, which it boots from. */
function bootDriverVm(
  config: DriverConfig,
  image: GuestImage,
  index: number,
  coreCount: number,
  board: BoardDescription,
  options: BootOptions & { timing: 'instruction' | 'cycle' },
  services: (core: number) => VmServices,
): { vm: Vm; core: number } {
  const core = Math.min(config.core ?? coreCount - 1, coreCount - 1);
  const vm = new Vm(
    {
      name: config.name,
      index,
      board,
      image,
      memory: {},
      semihosting: true,
      consoleLimit: DEFAULT_CONSOLE_LIMIT,
      faultLoopLimit: options.faultLoopLimit ?? 16,
      extraMemory: [DRIVER_WINDOW_REGION],
      vectorTable: HV_WINDOW_BASE,
      timing: options.timing,
    },
    services(core),
  );
  return { vm, core };
}
