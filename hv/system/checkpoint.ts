/**
 * A whole running system in a file, and back (QEMU's savevm/loadvm, Renode's Save/Load, gem5's
 * checkpoints): the configuration it was booted from and its boot options, the state of every
 * component (system-state.ts), the disks the guests write and the hashes of the files they only
 * read (checkpoint-disks.ts), and the session's own state (console lines so far, the last run's
 * end, UART input not yet delivered). The file format is checkpoint-file.ts.
 *
 * What a restore gives is the system at the checkpoint: running it on to any virtual time T
 * gives the same console output, stats and trace as an uninterrupted run to T (test/system).
 */
import { readFileSync } from 'node:fs';
import type { RunResult } from '../core/hypervisor.ts';
import type { SystemConfig } from '../core/system-config.ts';
import { CheckpointError } from '../errors.ts';
import { sha256 } from '../lazy-builtins.ts';
import type { CostTable } from '../time/cost-model.ts';
import type { BootedSystem } from './boot.ts';
import { buildId } from './build-id.ts';
import { type InputFile, type SavedDisk, checkInputs, inputFiles, saveDisks } from './checkpoint-disks.ts';
import { type CheckpointHeader, readCheckpointFile, writeCheckpointFile } from './checkpoint-file.ts';
import { type SystemState, saveSystem } from './system-state.ts';
import type { UartFeedState } from './uart-feed.ts';

/** The options the system was booted with that shape its behaviour (restored with it). */
export interface BootSettings {
  readonly cores: number;
  readonly costs: CostTable;
  readonly faultLoopLimit: number;
  readonly ioLanes: number;
}

/** The session's own state. */
export interface SessionState {
  readonly lines: ReadonlyArray<{ readonly guest: string; readonly line: string }>;
  readonly lastResult: RunResult;
  readonly feeds: ReadonlyArray<readonly [string, UartFeedState]>;
}

export interface Checkpoint {
  readonly config: SystemConfig;
  readonly boot: BootSettings;
  readonly inputs: readonly InputFile[];
  readonly disks: readonly SavedDisk[];
  readonly system: SystemState;
  readonly session: SessionState;
}

/** What writing a checkpoint produced. */
export interface CheckpointInfo {
  readonly file: string;
  /** Size of the file in bytes. */
  readonly bytes: number;
  /** Virtual time of the checkpoint. */
  readonly cycles: number;
}

export function writeCheckpoint(file: string, system: BootedSystem, boot: BootSettings, session: SessionState): CheckpointInfo {
  const checkpoint: Checkpoint = {
    config: system.config,
    boot,
    inputs: inputFiles(system),
    disks: saveDisks(system),
    system: saveSystem(system),
    session,
  };
  const cycles = system.hypervisor.time();
  const header: Omit<CheckpointHeader, 'payloadBytes'> = {
    format: 'hvlab-checkpoint',
    hvlab: packageVersion(),
    build: buildId(),
    system: systemHash(system.config, boot),
    source: system.config.source,
    cycles,
    guests: system.vms.map((vm) => vm.name),
  };
  return { file, bytes: writeCheckpointFile(file, header, checkpoint), cycles };
}

/** Reads a checkpoint and checks that this build can restore it and that its input files are unchanged. */
export function readCheckpoint(file: string): { header: CheckpointHeader; checkpoint: Checkpoint } {
  const { header, state } = readCheckpointFile<Checkpoint>(file, buildId());
  checkInputs(file, state.inputs);
  return { header, checkpoint: state };
}

/** The system a checkpoint file holds (checked like a restore, nothing booted). */
export function checkpointConfig(file: string): SystemConfig {
  return readCheckpoint(file).checkpoint.config;
}

/** Refuses a checkpoint of another system than `expected` (where the files came from does not count). */
export function checkSameSystem(file: string, expected: SystemConfig, saved: SystemConfig): void {
  const { source: _a, ...a } = expected;
  const { source: _b, ...b } = saved;
  if (canonicalJson(a) === canonicalJson(b)) return;
  throw new CheckpointError(`${file}: mismatched checkpoint: it holds the system of ${saved.source}, not ${expected.source}`);
}

/** Hash of a configuration and its boot settings (a checkpoint's `system` in its header). */
export function systemHash(config: SystemConfig, boot: BootSettings): string {
  return sha256().update(canonicalJson({ config, boot })).digest('hex');
}

/** JSON with object keys sorted, so that equal values hash equally. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}
