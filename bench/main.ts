/**
 * `npm run bench`: host-speed benchmarks against the real alternative, printed (never asserted in
 * tests), each aim marked PASS or MISS at the end. Host timings are noisy (a shared machine):
 * comparisons alternate their runs in the same process and report the median of the ratios of
 * adjacent pairs, with the range.
 *  - guest MIPS of firmware/build/crunch.elf (a CoreMark-like workload) under hvlab, both timing
 *    modes, against qemu-system-arm -M mps2-an386 -icount shift=0 on the same image (QEMU's
 *    deterministic mode); skipped with a message when QEMU is absent;
 *  - boot time and resident memory per guest, at 1 and 64 guests; aggregate guest MIPS of 64
 *    guests on 8 cores against one guest alone;
 *  - CLI start-up: `hv --help`, and `hv run hello.elf` against QEMU on the same image;
 *  - the host cost of one MMIO trap, the I/O paths, and the block cache;
 *  - a CPU-bound guest's host speed next to an interrupt storm, with and without exception budgets.
 * `npm run bench -- trap io` runs only the named sections (mips, scale, cli, trap, io, cache,
 * sched, cluster, budget); the aims printed at the end are those of the sections that ran.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { aim, median, printAims, spread } from './aims.ts';
import { budgetBench } from './budget-bench.ts';
import { cacheBench } from './cache-bench.ts';
import { cliBench } from './cli-bench.ts';
import { clusterBench } from './cluster-bench.ts';
import { schedBench } from './sched-bench.ts';
import { ioPathBench } from './io-bench.ts';
import { runHvlab } from './hvlab-run.ts';
import { writeLoopImages } from './mmio-loop.ts';
import { findQemu, runQemu } from './qemu-run.ts';
import { scaleBench } from './scale-bench.ts';

const SLICE = 25_000;
const ROOT = resolve(import.meta.dirname, '..');
const CRUNCH = join(ROOT, 'firmware', 'build', 'crunch.elf');
const HELLO = join(ROOT, 'firmware', 'build', 'hello.elf');
/** Virtual time that lets crunch.elf run to its end under either timing. */
const TO_THE_END = 2 ** 40;

function mips(instructions: number, seconds: number): number {
  return instructions / seconds / 1e6;
}

/** crunch.elf to its end under hvlab and under QEMU -icount, alternating. */
async function guestMips(qemu: string | undefined, trials = 5): Promise<void> {
  const guests = [{ name: 'crunch', image: CRUNCH }];
  await runHvlab(guests, TO_THE_END, SLICE);
  const hv: number[] = [];
  const cycle: number[] = [];
  const q: number[] = [];
  const vsQemu: number[] = [];
  const cycleRatio: number[] = [];
  let instructions = 0;
  let qemuStart = 0;
  if (qemu) qemuStart = median([0, 1, 2].map(() => runQemu(qemu, HELLO).seconds));
  for (let i = 0; i < trials; i++) {
    const plain = await runHvlab(guests, TO_THE_END, SLICE);
    instructions = plain.instructions;
    hv.push(mips(plain.instructions, plain.seconds));
    const cycled = await runHvlab(guests, TO_THE_END, SLICE, 'cycle');
    cycle.push(mips(cycled.instructions, cycled.seconds));
    cycleRatio.push(cycle.at(-1)! / hv.at(-1)!);
    if (qemu) {
      // QEMU's own start-up (measured on hello.elf) is not guest time.
      q.push(mips(instructions, Math.max(1e-3, runQemu(qemu, CRUNCH).seconds - qemuStart)));
      vsQemu.push(hv.at(-1)! / q.at(-1)!);
    }
  }
  console.log(`guest MIPS (crunch.elf, ${(instructions / 1e6).toFixed(0)}M instructions, slice ${SLICE} (alone on its core, it runs past slice ends), median of ${trials} alternating runs)`);
  console.log(`  hvlab, timing: instruction  ${median(hv).toFixed(0)} MIPS (${spread(hv, 0)})`);
  console.log(`  hvlab, timing: cycle        ${median(cycle).toFixed(0)} MIPS (${spread(cycle, 0)})`);
  aim('cycle timing / instruction timing', median(cycleRatio), 'x', '>=', 0.7, spread(cycleRatio));
  if (!qemu) {
    console.log('  qemu-system-arm not found: the comparison with QEMU -icount is skipped');
    return;
  }
  console.log(`  QEMU -icount shift=0        ${median(q).toFixed(0)} MIPS (${spread(q, 0)}; its start-up, ${(qemuStart * 1000).toFixed(0)} ms, subtracted)`);
  aim('hvlab / QEMU -icount guest MIPS', median(vsQemu), 'x', '>=', 1.0, spread(vsQemu));
}

async function trapCost(iterations: number, trials = 5): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-bench-'));
  try {
    const { mmio, ram } = writeLoopImages(dir);
    const cycles = iterations * 2;
    await runHvlab([{ name: 'warm', image: mmio, format: 'bin' }], 200_000, SLICE);
    const perTrap: number[] = [];
    for (let i = 0; i < trials; i++) {
      // The same loop with a UART load (a trap) and with a RAM load, back to back.
      const withTraps = await runHvlab([{ name: 'mmio', image: mmio, format: 'bin' }], cycles, SLICE);
      const without = await runHvlab([{ name: 'ram', image: ram, format: 'bin' }], cycles, SLICE);
      const perIterTrap = withTraps.seconds / (withTraps.instructions / 2);
      const perIterRam = without.seconds / (without.instructions / 2);
      perTrap.push((perIterTrap - perIterRam) * 1e9);
    }
    console.log(`MMIO trap round trip (guest load from a UART register, dispatch, device, accounting; median of ${trials} pairs)`);
    console.log(`  ${median(perTrap).toFixed(0)} ns per trap`);
    aim('MMIO trap round trip', median(perTrap), 'ns', '<=', 500, spread(perTrap, 0));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SECTIONS: Record<string, (qemu: string | undefined) => unknown> = {
  mips: (qemu) => guestMips(qemu),
  scale: () => scaleBench(CRUNCH, HELLO),
  cli: (qemu) => cliBench(qemu, HELLO),
  trap: () => trapCost(2_000_000),
  io: () => ioPathBench(5_000),
  cache: () => cacheBench(),
  sched: () => schedBench(),
  cluster: () => clusterBench(),
  budget: () => budgetBench(join(ROOT, 'firmware', 'build')),
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((name) => !(name in SECTIONS));
if (unknown.length > 0) {
  console.error(`bench: unknown section ${unknown.join(', ')} (sections: ${Object.keys(SECTIONS).join(', ')})`);
  process.exit(2);
}
console.log(`hvlab benchmarks (Node ${process.version}, ${process.arch})`);
const qemu = findQemu();
for (const [name, run] of Object.entries(SECTIONS)) if (wanted.length === 0 || wanted.includes(name)) await run(qemu);
printAims();
