/**
 * Seeded fuzzing of raw (non-ELF) guest images: random bytes, text, Intel HEX, ELF-looking
 * prefixes and mutated real firmware flattened to a binary, under names that do and do not make
 * them raw binaries, with forced formats and random load addresses. Loading may only end in an
 * ImageError; one loadable case in 25 boots through a system file (exit 0, 2 or 3, never 1).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MPS2_AN386 } from '../../devices/platforms/mps2-an386.ts';
import { type MemoryRange, checkPlacement, placeImage, readImage } from '../../hv/core/image.ts';
import { ImageError } from '../../hv/errors.ts';
import type { Prng } from '../../hv/storage/sim/prng.ts';
import { FIRMWARE, makeTempDir } from '../helpers/hv-cli.ts';
import { STACK_TRACE, hvInProcess } from '../helpers/hv-in-process.ts';
import { INTERESTING_32, campaign, campaignTimeout, mutateBytes, pick } from './fuzz.ts';

const tmp = makeTempDir('hvlab-fuzz-raw-');
afterAll(() => tmp.remove());
const MEMORY: readonly MemoryRange[] = MPS2_AN386.memory.map((m) => ({ name: m.name, base: m.base, size: m.size }));
const BOOT_EVERY = 25;

/** hello.elf's code segment as a flat binary at address 0 (what objcopy -O binary makes). */
function flatHello(): Buffer {
  const image = readImage(join(FIRMWARE, 'hello.elf'));
  const out = Buffer.alloc(0x800);
  placeImage(image, (address, bytes) => {
    if (address < out.length) Buffer.from(bytes).copy(out, address);
  });
  return out;
}

function randomBytes(rng: Prng, length: number): Buffer {
  return Buffer.from(Array.from({ length }, () => rng.below(256)));
}

function text(rng: Prng): Buffer {
  const words = ['firmware', 'README', 'Build', 'with', 'make', '#', '-', ':', 'µC', '✓', '\t', '\r\n', '\n'];
  return Buffer.from(Array.from({ length: 1 + rng.below(200) }, () => pick(rng, words)).join(' '), 'utf8');
}

function intelHex(rng: Prng): Buffer {
  const line = () => `:${Array.from({ length: 5 + rng.below(16) }, () => rng.below(256).toString(16).padStart(2, '0')).join('').toUpperCase()}`;
  return Buffer.from(`${Array.from({ length: 1 + rng.below(20) }, line).join('\n')}\n:00000001FF\n`);
}

function content(rng: Prng, hello: Buffer): Buffer {
  switch (rng.below(6)) {
    case 0:
      return randomBytes(rng, rng.below(4096));
    case 1:
      return text(rng);
    case 2:
      return intelHex(rng);
    case 3:
      return Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), randomBytes(rng, rng.below(200))]);
    default:
      return mutateBytes(hello, rng);
  }
}

const NAMES = ['fw.bin', 'fw.BIN', 'fw.hex', 'fw.img', 'fw', 'fw.bin.txt', 'README.md'];

function load(file: string, format: 'elf' | 'bin' | undefined, loadAddress: number | undefined): string {
  try {
    const image = readImage(file, { format, loadAddress });
    checkPlacement(image, MEMORY);
    return 'loaded';
  } catch (error) {
    if (error instanceof ImageError) return 'refused';
    throw error;
  }
}

/** Boots through a system file, so that format and load-address take the CLI's path. */
async function boot(file: string, format: string | undefined, loadAddress: number | undefined): Promise<string> {
  const system = join(tmp.dir, 'raw.yaml');
  const fields = [`image: ${file}`, ...(format ? [`format: ${format}`] : []), ...(loadAddress === undefined ? [] : [`load-address: ${loadAddress}`])];
  writeFileSync(system, `guests:\n  - name: raw\n${fields.map((f) => `    ${f}\n`).join('')}`);
  const r = await hvInProcess(['run', system, '--until-cycles', '20000']);
  if (r.status === 1 || r.status === null || STACK_TRACE.test(r.stderr)) throw new Error(`hv run ${system}: exit ${r.status}\n${r.stderr}`);
  return `booted (exit ${r.status})`;
}

describe('raw image fuzzing', () => {
  it('random, text, HEX and mutated binaries only ever end in an ImageError or a contained run', { timeout: campaignTimeout(20) }, async () => {
    const hello = flatHello();
    let loaded = 0;
    const result = await campaign('raw image', async (rng) => {
      const file = join(tmp.dir, pick(rng, NAMES));
      writeFileSync(file, content(rng, hello));
      const format = rng.chance(0.2) ? pick(rng, ['elf', 'bin'] as const) : undefined;
      const loadAddress = rng.chance(0.3) ? pick(rng, [...INTERESTING_32, rng.below(2 ** 32)]) : undefined;
      const outcome = load(file, format, loadAddress);
      if (outcome === 'loaded' && ++loaded % BOOT_EVERY === 0) return boot(file, format, loadAddress);
      return outcome;
    });
    expect(result.failures).toEqual([]);
    expect(result.counts.get('refused') ?? 0).toBeGreaterThan(0);
    expect(loaded).toBeGreaterThan(0);
  });
});
