/** The ARMv7-M architecture (Cortex-M4) as the hypervisor core sees it: its {@link ArchOps}. */
import type { ArchOps } from '../cpu.ts';
import { ThumbCallRunner } from './call-runner.ts';
import { loadCapstone } from './capstone.ts';
import { CortexM } from './cortex-m.ts';
import { disassembleThumb } from './disassembler.ts';
import { formatFaultReport } from './fault-report.ts';

export const ARMV7M: ArchOps = {
  name: 'armv7m',
  prepare: async (timing) => {
    if (timing === 'cycle') await loadCapstone();
  },
  prepareDisassembler: loadCapstone,
  disassemble: disassembleThumb,
  createVcpu: (engine, time, options, host) => new CortexM(engine, time, options, host),
  formatFault: formatFaultReport,
  createCallRunner: (engine, options) => new ThumbCallRunner(engine, options),
};
