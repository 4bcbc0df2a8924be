/**
 * Boots a system from its validated configuration: reads every image, creates one VM per guest
 * on its core, and wires their consoles, the cost table and the trace recorder to a hypervisor.
 */
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';
import { RoundRobinScheduler } from '../sched/round-robin.ts';
import { loadCostFile } from '../time/cost-file.ts';
import { type CostTable, defaultCosts } from '../time/cost-model.ts';
import { TraceRecorder } from '../trace/recorder.ts';
import { Hypervisor } from './hypervisor.ts';
import { readImage } from './image.ts';
import type { SystemConfig } from './system-config.ts';
import { Vm } from './vm.ts';

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
}

export interface BootedSystem {
  readonly config: SystemConfig;
  readonly hypervisor: Hypervisor;
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
  const images = config.guests.map((g) => readImage(g.image, { format: g.format, loadAddress: g['load-address'] }));
  try {
    config.guests.forEach((g, index) => {
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
          faultLoopLimit: options.faultLoopLimit ?? 16,
        },
        {
          costs,
          recorder,
          coreNow: () => hypervisor.cores[core]!.clock,
          core: () => core,
          consoleLine: options.consoleLine,
        },
      );
      hypervisor.addGuest(vm, core);
    });
  } catch (error) {
    for (const vm of hypervisor.vms) vm.close();
    throw error;
  }
  return { config, hypervisor, recorder, costs, coreCount, close: () => hypervisor.vms.forEach((vm) => vm.close()) };
}
