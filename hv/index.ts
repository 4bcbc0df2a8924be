/**
 * hvlab's public API for library users: open a system as a session, run it (resumably), read its
 * stats, console lines and trace events, export them, save it to a checkpoint and restore it. An exports snapshot test keeps this list
 * deliberate; the CLI is not part of it.
 */
export { Session, type SessionOptions, type RunLimit, type ConsoleLine, type AddGuestOptions, type GuestStatus, type RestoreOptions, type CheckpointInfo } from './system/session.ts';
export type { EndReason, RunResult } from './core/hypervisor.ts';
export { loadSystemFile, singleImageSystem, validateSystem, type SystemConfig } from './core/system-config.ts';
export type { FaultReport, TrapKind } from './arch/cpu.ts';
export { defaultCosts, DEFAULT_COSTS, type CostTable } from './time/cost-model.ts';
export type { TraceEvent } from './trace/events.ts';
export { chromeTrace, type TraceMetadata } from './trace/chrome-trace.ts';
export { writeChromeTrace } from './trace/trace-file.ts';
export { statsJson, type StatsFile, type GuestReport, type GuestState, type GuestIoReport } from './trace/stats-file.ts';
export { summaryTable } from './trace/summary-table.ts';
export { MPS2_AN386, BOARDS } from '../devices/platforms/mps2-an386.ts';
export type { BoardDescription } from '../devices/platforms/board.ts';
export { HvError, InputError, UsageError, ConfigError, ImageError, ImageLockError, CheckpointError, UnicornError, NativeLibraryError, InternalError } from './errors.ts';
