/**
 * Scale: boot time and resident memory per small guest (hello.elf) at 1 and 64 guests, and the
 * aggregate guest MIPS of 64 compute guests on 8 cores against one alone. Each measurement runs
 * in a fresh process (bench/scale-child.ts), so that resident memory is that system's only.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { aim, median, spread } from './aims.ts';

const CHILD = resolve(import.meta.dirname, 'scale-child.ts');

interface Scale {
  bootMsPerGuest: number;
  rssMiBPerGuest: number;
  rssMiBPerGuestAfterRun: number;
  instructions: number;
  runSeconds: number;
}

function measure(image: string, guests: number, cores: number, cycles: number): Scale {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CHILD, image, String(guests), String(cores), String(cycles)], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`bench/scale-child.ts failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Scale;
}

export function scaleBench(compute: string, small: string, trials = 3): void {
  const one = [0, 1, 2].slice(0, trials).map(() => measure(small, 1, 1, 0));
  const many = [0, 1, 2].slice(0, trials).map(() => measure(small, 64, 8, 0));
  console.log('guests at scale (hello.elf, fresh process each, median of 3)');
  for (const [label, runs] of [['1 guest', one], ['64 guests', many]] as const) {
    const boot = median(runs.map((r) => r.bootMsPerGuest));
    const rss = median(runs.map((r) => r.rssMiBPerGuest));
    console.log(`  ${label.padEnd(9)} boot ${boot.toFixed(2)} ms per guest, ${rss.toFixed(2)} MiB resident per guest`);
    aim(`boot per guest, ${label}`, boot, 'ms', '<=', 5, spread(runs.map((r) => r.bootMsPerGuest)));
    aim(`resident memory per guest, ${label}`, rss, 'MiB', '<=', 4, spread(runs.map((r) => r.rssMiBPerGuest)));
  }
  // The same work per guest (8 M instructions, translation included): 64 guests on 8 cores share
  // each core's time 8 ways.
  const perGuest = 8_000_000;
  const ratios: number[] = [];
  let alone = 0;
  let all = 0;
  for (let i = 0; i < trials; i++) {
    const a = measure(compute, 1, 1, perGuest);
    const m = measure(compute, 64, 8, perGuest * 8);
    alone = a.instructions / a.runSeconds / 1e6;
    all = m.instructions / m.runSeconds / 1e6;
    ratios.push(all / alone);
  }
  console.log(`  crunch.elf: one guest ${alone.toFixed(0)} MIPS, 64 guests on 8 cores ${all.toFixed(0)} MIPS in aggregate (last pair)`);
  aim('aggregate MIPS of 64 guests / one guest', median(ratios), 'x', '>=', 0.7, spread(ratios));
}
