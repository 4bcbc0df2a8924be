/** The stats document of a booted system: every VM's report (with its I/O), the event distributions. */
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';
import type { RunResult } from '../core/hypervisor.ts';
import type { StatsFile } from '../trace/stats-file.ts';
import type { BootedSystem } from './boot.ts';

export function collectStats(system: BootedSystem, result: RunResult): StatsFile {
  const board = BOARDS[system.config.board]!;
  return {
    generator: 'hvlab',
    board: board.name,
    clockHz: board.clockHz,
    cores: system.coreCount,
    endReason: result.reason,
    cycles: result.cycles,
    guests: system.vms.map((vm) => {
      const io = system.io?.report(vm);
      const rate = io && system.ioRates?.report(vm, result.cycles);
      return io ? { ...vm.report(), io: rate ? { ...io, rate } : io } : vm.report();
    }),
    events: system.recorder.summaries(),
    trace: traceStats(system),
  };
}

function traceStats(system: BootedSystem): StatsFile['trace'] {
  const { dropped } = system.recorder;
  return dropped > 0 ? { droppedEvents: dropped, droppedByGuest: system.recorder.droppedByGuest() } : { droppedEvents: dropped };
}
