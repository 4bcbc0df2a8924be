/**
 * Seeded mutation fuzzing of the ELF parser and loader: real firmware images get edits in the
 * ELF header, the program and section header tables, the symbol and string tables, or anywhere,
 * and are cut or extended. readImage, checkPlacement and placeImage may only ever end in an
 * ImageError; one loadable case in 40 also boots through `hv run` (exit 0, 2 or 3, never 1).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MPS2_AN386 } from '../../devices/platforms/mps2-an386.ts';
import { type MemoryRange, checkPlacement, placeImage, readImage } from '../../hv/core/image.ts';
import { ImageError } from '../../hv/errors.ts';
import type { Prng } from '../../hv/storage/sim/prng.ts';
import { FIRMWARE, makeTempDir } from '../helpers/hv-cli.ts';
import { STACK_TRACE, hvInProcess } from '../helpers/hv-in-process.ts';
import { type Region, campaign, campaignTimeout, mutateBytes, pick } from './fuzz.ts';

const tmp = makeTempDir('hvlab-fuzz-elf-');
afterAll(() => tmp.remove());
const MEMORY: readonly MemoryRange[] = MPS2_AN386.memory.map((m) => ({ name: m.name, base: m.base, size: m.size }));
const BOOT_EVERY = 40;

interface Base {
  readonly name: string;
  readonly bytes: Buffer;
  readonly regions: readonly Region[];
}

/** The parts of a valid ELF, read with plain offsets (independent of hvlab's parser). */
function regionsOf(b: Buffer): Region[] {
  const phoff = b.readUInt32LE(28);
  const shoff = b.readUInt32LE(32);
  const phnum = b.readUInt16LE(44);
  const shnum = b.readUInt16LE(48);
  const regions: Region[] = [
    { name: 'ELF header', start: 0, end: 52 },
    { name: 'program headers', start: phoff, end: phoff + phnum * 32 },
    { name: 'section headers', start: shoff, end: shoff + shnum * 40 },
    { name: 'anywhere', start: 0, end: b.length },
  ];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * 40;
    const type = b.readUInt32LE(at + 4);
    // SHT_SYMTAB and SHT_STRTAB: the symbol table and the names it points into.
    if (type === 2 || type === 3) regions.push({ name: type === 2 ? 'symtab' : 'strtab', start: b.readUInt32LE(at + 16), end: b.readUInt32LE(at + 16) + b.readUInt32LE(at + 20) });
  }
  return regions;
}

function base(name: string): Base {
  const bytes = readFileSync(join(FIRMWARE, `${name}.elf`));
  return { name, bytes, regions: regionsOf(bytes) };
}

/** Loads like `hv run` does before the engine: parse, check the placement, place. */
function load(file: string, rng: Prng): string {
  try {
    const image = readImage(file, rng.chance(0.1) ? { format: 'elf' } : {});
    checkPlacement(image, MEMORY);
    let placed = 0;
    placeImage(image, (_address, bytes) => (placed += bytes.length));
    return 'loaded';
  } catch (error) {
    if (error instanceof ImageError) return 'refused';
    throw error;
  }
}

async function boot(file: string): Promise<string> {
  const r = await hvInProcess(['run', file, '--until-cycles', '20000']);
  if (r.status === 1 || r.status === null || STACK_TRACE.test(r.stderr)) throw new Error(`hv run ${file}: exit ${r.status}\n${r.stderr}`);
  return `booted (exit ${r.status})`;
}

describe('ELF parser and loader fuzzing', () => {
  it('mutated firmware images only ever end in an ImageError or a contained run', { timeout: campaignTimeout(20) }, async () => {
    const bases = ['hello', 'tasks', 'driver-vm', 'exceptions', 'fpu'].map(base);
    let loaded = 0;
    const result = await campaign('ELF', async (rng) => {
      const b = pick(rng, bases);
      const file = join(tmp.dir, `${b.name}${rng.chance(0.1) ? '.bin' : '.elf'}`);
      writeFileSync(file, mutateBytes(b.bytes, rng, b.regions));
      const outcome = load(file, rng);
      if (outcome === 'loaded' && ++loaded % BOOT_EVERY === 0) return boot(file);
      return outcome;
    });
    expect(result.failures).toEqual([]);
    // The campaign must reach both sides: refusals and images that load.
    expect(result.counts.get('refused') ?? 0).toBeGreaterThan(0);
    expect(loaded).toBeGreaterThan(0);
  });
});
