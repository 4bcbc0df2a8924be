/**
 * Seeded mutation fuzzing of the qcow2 reader (and, for a quarter of the cases, the writer):
 * small valid images get bytes flipped in the header, the L1 and L2 tables, the refcount table
 * and blocks, or compressed data, or get truncated. Opening, reading every sector and writing
 * may only ever throw ImageError: no other exception, no hang, no runaway allocation (each case
 * is timed and reads are bounded).
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ImageError } from '../../hv/errors.ts';
import type { BlockImage } from '../../hv/storage/block-image.ts';
import { openImage } from '../../hv/storage/open-image.ts';
import { createQcow2 } from '../../hv/storage/qcow2/create.ts';
import { HAVE_QEMU, patternBytes, qemuImg, randomInt, seededRandom, tempDir } from './helpers.ts';

const dir = tempDir('hvlab-fuzz-');
/**
 * FUZZ_CASES / FUZZ_SEED (what `npm run fuzz` sets for every fuzzer; HVLAB_FUZZ_CASES /
 * HVLAB_FUZZ_SEED still work) run longer or different campaigns.
 */
const CASES = Number(process.env.FUZZ_CASES ?? process.env.HVLAB_FUZZ_CASES ?? 3000);
const SEED = Number(process.env.FUZZ_SEED ?? process.env.HVLAB_FUZZ_SEED ?? 0x5eed);
/** Reads stop here even if a mutated header claims a huge disk. */
const READ_LIMIT = 2 * 1024 * 1024;
const SLOW_CASE_MS = 2000;

interface Region {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

interface FuzzBase {
  readonly name: string;
  readonly bytes: Buffer;
  readonly regions: readonly Region[];
}

/** Where the metadata of a valid image lies (read with plain offsets, independent of hvlab). */
function regionsOf(bytes: Buffer): Region[] {
  const clusterSize = 2 ** bytes.readUInt32BE(20);
  const l1Size = bytes.readUInt32BE(36);
  const l1 = Number(bytes.readBigUInt64BE(40));
  const reftable = Number(bytes.readBigUInt64BE(48));
  const regions: Region[] = [
    { name: 'header', start: 0, end: 512 },
    { name: 'L1', start: l1, end: l1 + l1Size * 8 },
    { name: 'refcount table', start: reftable, end: reftable + bytes.readUInt32BE(56) * clusterSize },
  ];
  const mask = (1n << 56n) - 512n;
  for (let i = 0; i < l1Size; i++) {
    const l2 = Number(bytes.readBigUInt64BE(l1 + i * 8) & mask);
    if (l2) regions.push({ name: 'L2', start: l2, end: l2 + clusterSize });
  }
  const block = Number(bytes.readBigUInt64BE(reftable) & mask);
  if (block) regions.push({ name: 'refcount block', start: block, end: block + clusterSize });
  regions.push({ name: 'anywhere', start: 0, end: bytes.length });
  return regions;
}

function hvlabBase(name: string, options: Parameters<typeof createQcow2>[1], seed: number): FuzzBase {
  const file = join(dir(), `${name}.qcow2`);
  createQcow2(file, options);
  const image = openImage(file);
  const random = seededRandom(seed);
  for (let i = 0; i < 12; i++) image.writeSectors(randomInt(random, image.size / 512 - 16), patternBytes(random, 512 * (1 + randomInt(random, 16))));
  image.close();
  const bytes = readFileSync(file);
  return { name, bytes, regions: regionsOf(bytes) };
}

/** A QEMU image with compressed, zero and normal clusters. */
function qemuBase(): FuzzBase {
  const raw = join(dir(), 'qemu-src.raw');
  writeFileSync(raw, Buffer.from('compressible qcow2 fuzz data\n'.repeat(20000)).subarray(0, 256 * 1024));
  const file = join(dir(), 'qemu.qcow2');
  qemuImg(['convert', '-c', '-O', 'qcow2', '-o', 'cluster_size=4096', raw, file]);
  const bytes = readFileSync(file);
  const regions = regionsOf(bytes);
  // Compressed streams follow the metadata: fuzz them too.
  regions.push({ name: 'compressed data', start: Math.max(...regions.filter((r) => r.name !== 'anywhere').map((r) => r.end)), end: bytes.length });
  return { name: 'qemu', bytes, regions };
}

/** Mutates a copy: byte flips, boundary values, whole 64-bit entries, or truncation. */
function mutate(base: FuzzBase, random: () => number): { bytes: Buffer; truncateTo: number | null } {
  const bytes = Buffer.from(base.bytes);
  const region = base.regions[randomInt(random, base.regions.length)]!;
  const span = Math.max(1, Math.min(region.end, bytes.length) - region.start);
  const edits = 1 + randomInt(random, 4);
  for (let i = 0; i < edits; i++) {
    const at = region.start + randomInt(random, span);
    const kind = randomInt(random, 4);
    if (kind === 0) bytes[at] = bytes[at]! ^ (1 << randomInt(random, 8));
    else if (kind === 1) bytes[at] = [0x00, 0xff, 0x80, 0x7f, 0x01][randomInt(random, 5)]!;
    else if (kind === 2) bytes[at] = randomInt(random, 256);
    else if (at - (at % 8) + 8 <= bytes.length) bytes.writeBigUInt64BE(interestingEntry(random, bytes.length), at - (at % 8));
  }
  const truncateTo = random() < 0.05 ? randomInt(random, bytes.length) : null;
  return { bytes, truncateTo };
}

/** Entries that point just past the end, into metadata, at huge offsets, or with flag bits. */
function interestingEntry(random: () => number, fileSize: number): bigint {
  const choices = [
    BigInt(fileSize) | (1n << 63n),
    BigInt(fileSize + 4096),
    (1n << 62n) | BigInt(randomInt(random, fileSize)),
    (1n << 63n) | BigInt(randomInt(random, 16) * 4096),
    0xffff_ffff_ffff_ffffn,
    1n,
    BigInt(randomInt(random, 2 ** 32)) << BigInt(randomInt(random, 32)),
  ];
  return choices[randomInt(random, choices.length)]!;
}

type Outcome = 'read ok' | 'refused at open' | 'refused while reading' | 'written ok' | 'refused while writing';

function exercise(file: string, random: () => number, write: boolean): Outcome {
  let image: BlockImage | undefined;
  let stage: 'open' | 'read' | 'write' = 'open';
  try {
    image = openImage(file, { readOnly: !write });
    stage = 'read';
    const limit = Math.min(image.size, READ_LIMIT) / 512;
    for (let s = 0; s < limit; s += 256) image.readSectors(s, Math.min(256, limit - s));
    for (let offset = 0; offset < limit * 512; offset += 64 * 1024) image.locate(offset);
    if (write) {
      stage = 'write';
      for (let i = 0; i < 4; i++) {
        const sectors = 1 + randomInt(random, 8);
        if (limit > sectors) image.writeSectors(randomInt(random, limit - sectors), patternBytes(random, sectors * 512));
      }
      image.flush();
    }
    image.close();
    return write ? 'written ok' : 'read ok';
  } catch (error) {
    try {
      image?.close();
    } catch (closeError) {
      if (!(closeError instanceof ImageError)) throw closeError;
    }
    if (!(error instanceof ImageError)) throw error;
    return stage === 'open' ? 'refused at open' : stage === 'read' ? 'refused while reading' : 'refused while writing';
  }
}

describe('qcow2 mutation fuzzing', () => {
  it(`${CASES} mutated images only ever raise ImageError`, { timeout: 600_000 + CASES * 20 }, () => {
    writeFileSync(join(dir(), 'backing.raw'), patternBytes(seededRandom(3), 256 * 1024));
    const bases = [
      hvlabBase('hv-v3-4k-backed', { size: 256 * 1024, clusterBits: 12, backing: 'backing.raw', backingFormat: 'raw' }, 1),
      hvlabBase('hv-v2-512', { size: 128 * 1024, clusterBits: 9, version: 2 }, 2),
      hvlabBase('hv-v3-64k', { size: 1024 * 1024, clusterBits: 16 }, 3),
      ...(HAVE_QEMU ? [qemuBase()] : []),
    ];
    const random = seededRandom(SEED);
    const stats = new Map<string, number>();
    const failures: string[] = [];
    let slowest = 0;
    for (let i = 0; i < CASES; i++) {
      const base = bases[i % bases.length]!;
      const { bytes, truncateTo } = mutate(base, random);
      const file = join(dir(), `case-${base.name}.qcow2`);
      writeFileSync(file, bytes);
      if (truncateTo !== null) truncateSync(file, truncateTo);
      const started = performance.now();
      try {
        const outcome = exercise(file, random, i % 4 === 3);
        stats.set(outcome, (stats.get(outcome) ?? 0) + 1);
      } catch (error) {
        failures.push(`case ${i} (${base.name}): ${(error as Error).stack}`);
      }
      slowest = Math.max(slowest, performance.now() - started);
    }
    console.log(`qcow2 fuzz: seed ${SEED}, ${CASES} cases over ${bases.map((b) => b.name).join(', ')}; ${[...stats].map(([k, v]) => `${k} ${v}`).join(', ')}; slowest case ${slowest.toFixed(0)} ms`);
    expect(failures.slice(0, 5)).toEqual([]);
    expect(slowest).toBeLessThan(SLOW_CASE_MS);
  });
});
