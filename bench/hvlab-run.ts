/** Runs systems under hvlab for the benchmarks and reports host time. */
import { bootSystem } from '../hv/core/system.ts';
import { validateSystem } from '../hv/core/system-config.ts';

export interface HvResult {
  instructions: number;
  traps: number;
  seconds: number;
}

export interface GuestSpec {
  name: string;
  image: string;
  format?: 'elf' | 'bin';
}

/** `timing: cycle` needs capstone loaded first (`loadCapstone()`). */
export function runHvlab(
  guests: GuestSpec[],
  untilCycles: number,
  sliceCycles: number,
  timing: 'instruction' | 'cycle' = 'instruction',
): HvResult {
  const config = validateSystem({ 'slice-cycles': sliceCycles, timing, guests }, 'bench');
  const system = bootSystem(config, { consoleLine: () => {} });
  try {
    const started = process.hrtime.bigint();
    system.hypervisor.run({ untilCycles });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const reports = system.hypervisor.vms.map((vm) => vm.report());
    const instructions = reports.reduce((a, r) => a + r.instructions, 0);
    const traps = reports.reduce((a, r) => a + (r.traps['mmio'] ?? 0), 0);
    return { instructions, traps, seconds };
  } finally {
    system.close();
  }
}
