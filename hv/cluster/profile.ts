/**
 * Workload profiles for the modelled slaves: a workload is run alone on a one-core slave (the real
 * slave code, one quantum-sized window at a time) and its CPU use per window, its length and how
 * it ended are recorded. The same workload always gives the same profile.
 */
import { Buffer } from 'node:buffer';
import { InternalError } from '../errors.ts';
import type { Finished, Profile, SlaveSpec } from './messages.ts';
import { SessionSlave } from './slave/session-slave.ts';
import type { Workload } from './workload.ts';

const PROFILER: SlaveSpec = { name: 'profiler', cores: 1, memory: 1 << 30, vcpusPerCore: 1, ioLanes: 1, diskTiming: 'sd-spi', timing: 'instruction', sliceCycles: 25_000 };

/** Windows after which a workload that has not ended is given up on (it would never end alone). */
const MAX_WINDOWS = 100_000;

export async function measureProfile(workload: Workload, window: number): Promise<Profile> {
  const slave = new SessionSlave();
  try {
    await slave.init({ kind: 'init', slave: PROFILER, quantum: window });
    const image = { label: workload.image.label, sha256: workload.image.sha256, data: Buffer.from(workload.image.bytes).toString('base64') };
    const start = [{ name: workload.name, attempt: 1, budget: workload.budget, image, guest: workload.guest }];
    const busy: number[] = [];
    const io: number[] = [];
    let finished: Finished | undefined;
    for (let t = 0; !finished; t += window) {
      if (busy.length >= MAX_WINDOWS) throw new InternalError(`${workload.name}: no end within ${MAX_WINDOWS} windows: give it a cycle budget`);
      const report = slave.step({ kind: 'step', from: t, to: t + window, start: t === 0 ? start : [], fail: false });
      busy.push(report.busy);
      io.push(report.ioBusy);
      finished = report.finished[0];
    }
    if (finished.state === 'failed') throw new InternalError(`${workload.name}: the profiler's slave failed`);
    const ioProfile = io.some((x) => x > 0) ? io : [];
    return { window, busy, io: ioProfile, length: Math.max(1, finished.end), state: finished.state, exitCode: finished.exitCode };
  } finally {
    slave.close();
  }
}

/** Profiles for many workloads, measured once per distinct image, command line and budget. */
export async function profileAll(workloads: readonly Workload[], window: number): Promise<Map<string, Profile>> {
  const profiles = new Map<string, Profile>();
  for (const w of workloads) {
    const key = profileKey(w);
    if (!profiles.has(key)) profiles.set(key, await measureProfile(w, window));
    w.profile = profiles.get(key);
  }
  return profiles;
}

export function profileKey(w: Workload): string {
  return JSON.stringify([w.image.sha256, w.guest, w.budget]);
}
