/**
 * `npm run bench`: host-speed benchmarks, printed (never asserted in tests):
 *  - guest MIPS of a compute-bound image under hvlab against the same image in a bare Unicorn
 *    loop with the same slice size, in the same process (aim: ratio >= 0.9);
 *  - guest MIPS with `timing: cycle` against the default one cycle per instruction;
 *  - host cost of one MMIO trap round trip (aim: <= 500 ns);
 *  - host throughput of each I/O path (aim: in-context >= 100,000 512-byte reads per second);
 *  - cache lookups per second per policy and memory per cached block;
 *  - host cost of a scheduling decision per policy and the host time of `hv experiment sched`.
 * Host timings are noisy: each comparison alternates its runs and reports the median.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBare } from './bare-unicorn.ts';
import { cacheBench } from './cache-bench.ts';
import { clusterBench } from './cluster-bench.ts';
import { ioPathBench } from './io-bench.ts';
import { runHvlab } from './hvlab-run.ts';
import { schedBench } from './sched-bench.ts';
import { writeLoopImages } from './mmio-loop.ts';

const SLICE = 25_000;
const COMPUTE = resolve(import.meta.dirname, '..', 'firmware', 'build', 'compute.elf');

function mips(instructions: number, seconds: number): number {
  return instructions / seconds / 1e6;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function guestMips(instructions: number, trials = 7): Promise<void> {
  runBare(COMPUTE, 5_000_000, SLICE);
  await runHvlab([{ name: 'compute', image: COMPUTE }], 5_000_000, SLICE);
  const bare: number[] = [];
  const hv: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < trials; i++) {
    const b = runBare(COMPUTE, instructions, SLICE);
    bare.push(mips(b.instructions, b.seconds));
    const h = await runHvlab([{ name: 'compute', image: COMPUTE }], instructions, SLICE);
    hv.push(mips(h.instructions, h.seconds));
    // Adjacent runs share the machine's state of the moment: their ratio is the robust figure.
    ratios.push(hv.at(-1)! / bare.at(-1)!);
  }
  console.log(`guest MIPS (compute.elf, slice ${SLICE} instructions, ${instructions / 1e6}M instructions, median of ${trials} alternating pairs)`);
  console.log(`  bare Unicorn loop  ${median(bare).toFixed(1)} MIPS`);
  console.log(`  hvlab              ${median(hv).toFixed(1)} MIPS`);
  console.log(`  ratio              ${median(ratios).toFixed(3)} (aim >= 0.9; pairs ${ratios.map((r) => r.toFixed(2)).join(' ')})`);
}

/** Host speed of `timing: cycle` (capstone-decoded per-instruction cycles) against the default. */
async function cycleTimingSpeed(instructions: number, trials = 5): Promise<void> {
  const guests = [{ name: 'compute', image: COMPUTE }];
  await runHvlab(guests, 2_000_000, SLICE, 'cycle');
  const byInstruction: number[] = [];
  const byCycle: number[] = [];
  const ratios: number[] = [];
  let cpi = 0;
  for (let i = 0; i < trials; i++) {
    const plain = await runHvlab(guests, instructions, SLICE);
    byInstruction.push(mips(plain.instructions, plain.seconds));
    // The budget is in cycles: run enough of them for about the same instruction count.
    const cycled = await runHvlab(guests, Math.round(instructions * 1.5), SLICE, 'cycle');
    cpi = Math.round(instructions * 1.5) / cycled.instructions;
    byCycle.push(mips(cycled.instructions, cycled.seconds));
    ratios.push(byCycle.at(-1)! / byInstruction.at(-1)!);
  }
  console.log(`timing modes (compute.elf, median of ${trials})`);
  console.log(`  timing: instruction  ${median(byInstruction).toFixed(1)} MIPS`);
  console.log(`  timing: cycle        ${median(byCycle).toFixed(1)} MIPS (guest CPI ${cpi.toFixed(2)})`);
  console.log(`  ratio cycle/instruction ${median(ratios).toFixed(3)} (median of adjacent pairs)`);
}

async function trapCost(iterations: number, trials = 5): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-bench-'));
  try {
    const { mmio, ram } = writeLoopImages(dir);
    const cycles = iterations * 2;
    await runHvlab([{ name: 'warm', image: mmio, format: 'bin' }], 200_000, SLICE);
    const perTrap: number[] = [];
    const perIteration: number[] = [];
    let traps = 0;
    for (let i = 0; i < trials; i++) {
      // The same loop with a UART load (a trap) and with a RAM load, back to back.
      const withTraps = await runHvlab([{ name: 'mmio', image: mmio, format: 'bin' }], cycles, SLICE);
      const without = await runHvlab([{ name: 'ram', image: ram, format: 'bin' }], cycles, SLICE);
      const perIterTrap = withTraps.seconds / (withTraps.instructions / 2);
      const perIterRam = without.seconds / (without.instructions / 2);
      perTrap.push((perIterTrap - perIterRam) * 1e9);
      perIteration.push(perIterTrap * 1e9);
      traps = withTraps.traps;
    }
    console.log(`MMIO trap round trip (${traps} traps per run: guest load from a UART register, dispatch, device, accounting; median of ${trials} pairs)`);
    console.log(`  ${median(perTrap).toFixed(0)} ns per trap (aim <= 500 ns); ${median(perIteration).toFixed(0)} ns per loop iteration with the trap`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`hvlab benchmarks (Node ${process.version}, ${process.arch})`);
await guestMips(30_000_000);
await cycleTimingSpeed(20_000_000);
await trapCost(2_000_000);
await ioPathBench(5_000);
cacheBench();
await schedBench();
await clusterBench();
