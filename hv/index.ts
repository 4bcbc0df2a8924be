/**
 * hvlab's public API for library users: boot a system, run it, read stats, export traces.
 * An exports snapshot test keeps this list deliberate.
 */
export { Hypervisor, type EndReason, type RunLimits, type RunResult } from './core/hypervisor.ts';
export { Vm } from './core/vm.ts';
export { bootSystem, type BootOptions, type BootedSystem } from './core/system.ts';
export { loadSystemFile, singleImageSystem, validateSystem, type SystemConfig } from './core/system-config.ts';
export { readImage, type GuestImage } from './core/image.ts';
export type { GuestReport, GuestState } from './core/guest-stats.ts';
export type { FaultReport, StepOutcome, TrapKind } from './arch/cpu.ts';
export { defaultCosts, DEFAULT_COSTS, type CostTable } from './time/cost-model.ts';
export type { TraceEvent } from './trace/events.ts';
export { chromeTrace } from './trace/chrome-trace.ts';
export { writeChromeTrace } from './trace/trace-file.ts';
export { collectStats, runSystem } from './cli/run.ts';
export { statsJson, type StatsFile } from './trace/stats-file.ts';
export { summaryTable } from './trace/summary-table.ts';
export { MPS2_AN386, BOARDS } from '../devices/platforms/mps2-an386.ts';
export type { BoardDescription } from '../devices/platforms/board.ts';
export { HvError, InputError, UsageError, ConfigError, ImageError, ImageLockError, UnicornError, NativeLibraryError, InternalError } from './errors.ts';
