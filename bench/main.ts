/**
 * `npm run bench`: host-speed benchmarks, printed (never asserted in tests):
 *  - guest MIPS of a compute-bound image under hvlab against the same image in a bare Unicorn
 *    loop with the same slice size, in the same process (aim: ratio >= 0.9);
 *  - host cost of one MMIO trap round trip (aim: <= 500 ns).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runBare } from './bare-unicorn.ts';
import { cacheBench } from './cache-bench.ts';
import { runHvlab } from './hvlab-run.ts';
import { writeLoopImages } from './mmio-loop.ts';

const SLICE = 25_000;
const COMPUTE = resolve(import.meta.dirname, '..', 'firmware', 'build', 'compute.elf');

function mips(instructions: number, seconds: number): number {
  return instructions / seconds / 1e6;
}

function guestMips(instructions: number): void {
  runBare(COMPUTE, 5_000_000, SLICE);
  runHvlab([{ name: 'compute', image: COMPUTE }], 5_000_000, SLICE);
  const bare = runBare(COMPUTE, instructions, SLICE);
  const hv = runHvlab([{ name: 'compute', image: COMPUTE }], instructions, SLICE);
  const ratio = mips(hv.instructions, hv.seconds) / mips(bare.instructions, bare.seconds);
  console.log(`guest MIPS (compute.elf, slice ${SLICE} instructions, ${instructions / 1e6}M instructions)`);
  console.log(`  bare Unicorn loop  ${mips(bare.instructions, bare.seconds).toFixed(1)} MIPS`);
  console.log(`  hvlab              ${mips(hv.instructions, hv.seconds).toFixed(1)} MIPS`);
  console.log(`  ratio              ${ratio.toFixed(3)} (aim >= 0.9)`);
}

function trapCost(iterations: number): void {
  const dir = mkdtempSync(join(tmpdir(), 'hvlab-bench-'));
  try {
    const { mmio, ram } = writeLoopImages(dir);
    const cycles = iterations * 2;
    runHvlab([{ name: 'warm', image: mmio, format: 'bin' }], 200_000, SLICE);
    const withTraps = runHvlab([{ name: 'mmio', image: mmio, format: 'bin' }], cycles, SLICE);
    const without = runHvlab([{ name: 'ram', image: ram, format: 'bin' }], cycles, SLICE);
    const perIterTrap = withTraps.seconds / (withTraps.instructions / 2);
    const perIterRam = without.seconds / (without.instructions / 2);
    const ns = (perIterTrap - perIterRam) * 1e9;
    console.log(`MMIO trap round trip (${withTraps.traps} traps: guest load from a UART register, dispatch, device, accounting)`);
    console.log(`  ${ns.toFixed(0)} ns per trap (aim <= 500 ns); ${(1e9 * perIterTrap).toFixed(0)} ns per loop iteration with the trap`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`hvlab benchmarks (Node ${process.version}, ${process.arch})`);
guestMips(100_000_000);
trapCost(500_000);
cacheBench();
