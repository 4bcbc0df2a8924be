/** Runs systems under hvlab for the benchmarks and reports host time. */
import { validateSystem } from '../hv/core/system-config.ts';
import { Session } from '../hv/system/session.ts';

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

export async function runHvlab(
  guests: GuestSpec[],
  untilCycles: number,
  sliceCycles: number,
  timing: 'instruction' | 'cycle' = 'instruction',
): Promise<HvResult> {
  const config = validateSystem({ 'slice-cycles': sliceCycles, timing, guests }, 'bench');
  const session = await Session.open(config);
  try {
    const started = process.hrtime.bigint();
    session.runUntil({ cycles: untilCycles });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const reports = session.results().guests;
    const instructions = reports.reduce((a, r) => a + r.instructions, 0);
    const traps = reports.reduce((a, r) => a + (r.traps['mmio'] ?? 0), 0);
    return { instructions, traps, seconds };
  } finally {
    session.close();
  }
}
