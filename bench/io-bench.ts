/**
 * Host throughput of each I/O path: the ioread guest issues back-to-back 512-byte reads over
 * virtio-blk (one in flight), with the driver VM on the second core; the time of the run alone
 * (not the boot) gives reads per host second, best of three runs per path in alternating rounds
 * after a warm-up of every path. Aim: in-context >= 40,000 reads per host second, and faster
 * than the split and emulated paths.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { validateSystem } from '../hv/core/system-config.ts';
import { IO_PATHS, type IoPathName } from '../hv/io/io-path.ts';
import { Session } from '../hv/system/session.ts';
import { aim } from './aims.ts';

const FIRMWARE = resolve(import.meta.dirname, '..', 'firmware', 'build');

async function readsPerSecond(path: IoPathName, requests: number, dir: string): Promise<{ perSecond: number; reads: number }> {
  const disk = join(dir, `${path}.img`);
  writeFileSync(disk, Buffer.alloc(1 << 20));
  const config = validateSystem(
    {
      cores: 2,
      io: { 'driver-vm': { image: join(FIRMWARE, 'driver-vm.elf'), core: 1 } },
      guests: [{ name: 'ioread', image: join(FIRMWARE, 'ioread.elf'), core: 0, 'io-path': path, disk, cmdline: `requests=${requests}` }],
    },
    join(dir, `${path}.yaml`),
  );
  const session = await Session.open(config);
  try {
    const started = process.hrtime.bigint();
    session.runUntil();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const reads = session.results().guests[0]!.io?.requests ?? 0;
    return { perSecond: reads / seconds, reads };
  } finally {
    session.close();
  }
}

export async function ioPathBench(requests: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-io-bench-'));
  try {
    console.log(`I/O paths (ioread: ${requests} back-to-back 512-byte reads, driver VM on core 1)`);
    // Every path warmed first, then measured in alternating rounds: the paths share most of their
    // code (the run loop, exception entry and return), and a path measured after another one's
    // runs found that code compiled already, and the host's noise of the moment, to its favour.
    for (const path of IO_PATHS) await readsPerSecond(path, 1_000, dir);
    const runs = new Map<IoPathName, number[]>(IO_PATHS.map((path) => [path, []]));
    for (let round = 0; round < 3; round++) {
      for (const path of IO_PATHS) runs.get(path)!.push((await readsPerSecond(path, requests, dir)).perSecond);
    }
    const best = new Map<IoPathName, number>();
    for (const path of IO_PATHS) {
      best.set(path, Math.max(...runs.get(path)!));
      console.log(`  ${path.padEnd(11)} ${Math.round(best.get(path)!).toString().padStart(7)} reads per host second (best of 3, alternating)`);
    }
    const inContext = best.get('in-context')!;
    aim('in-context 512-byte reads per host second', inContext, '', '>=', 40_000);
    const others = Math.max(...[...best].filter(([p]) => p !== 'in-context').map(([, v]) => v));
    aim('in-context / fastest other I/O path', inContext / others, 'x', '>=', 1.0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
