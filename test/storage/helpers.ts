/** Shared helpers for the storage tests: temp dirs, qemu-img / qemu-io, seeded randomness. */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { BlockImage } from '../../hv/storage/block-image.ts';
import { openImage } from '../../hv/storage/open-image.ts';
import { findOnPath } from '../helpers/host-tools.ts';

export const QEMU_IMG = findOnPath('qemu-img');
export const QEMU_IO = findOnPath('qemu-io');
export const HAVE_QEMU = QEMU_IMG !== undefined && QEMU_IO !== undefined;
/** Describe-block suffix naming what a skipped block needs. */
export const NEEDS_QEMU = HAVE_QEMU ? '' : ' [SKIPPED: qemu-img/qemu-io not found; apt-get install qemu-utils]';

if (!HAVE_QEMU) console.warn('storage tests: qemu-img or qemu-io not on PATH, skipping the QEMU comparison tests (install qemu-utils)');

/**
 * A temp directory for the calling test file, made on first use and removed after its tests.
 * Lazy, so that a file whose tests are all skipped (no QEMU) leaves nothing behind.
 */
export function tempDir(prefix = 'hvlab-storage-'): () => string {
  let dir: string | undefined;
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => (dir ??= mkdtempSync(join(tmpdir(), prefix)));
}

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(program: string | undefined, args: readonly string[], cwd?: string): ToolResult {
  if (!program) throw new Error('QEMU tool missing (guard the test with HAVE_QEMU)');
  const r = spawnSync(program, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs qemu-img and fails on a nonzero exit. */
export function qemuImg(args: readonly string[], cwd?: string): string {
  const r = run(QEMU_IMG, args, cwd);
  if (r.code !== 0) throw new Error(`qemu-img ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `qemu-img check`: exit 0 clean, 2 corruptions, 3 leaked clusters only. */
export function qemuCheck(file: string): ToolResult {
  return run(QEMU_IMG, ['check', file]);
}

/** Runs qemu-io commands (e.g. 'write -P 0xab 0 64k') on an image. */
export function qemuIo(file: string, commands: readonly string[], format = 'qcow2'): string {
  const r = run(QEMU_IO, ['-f', format, ...commands.flatMap((c) => ['-c', c]), file]);
  if (r.code !== 0 || /error|failed/i.test(r.stdout + r.stderr)) throw new Error(`qemu-io ${commands.join('; ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The guest-visible contents as QEMU sees them. */
export function qemuRaw(file: string, dir: string): Buffer {
  const out = join(dir, `convert-${process.pid}-${Math.random().toString(36).slice(2)}.raw`);
  qemuImg(['convert', '-O', 'raw', file, out]);
  try {
    return readFileSync(out);
  } finally {
    rmSync(out, { force: true });
  }
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Every sector of an image, read in chunks. */
export function readAll(image: BlockImage, limit = image.size): Buffer {
  const sectors = Math.floor(limit / 512);
  const chunk = 2048;
  const parts: Buffer[] = [];
  for (let s = 0; s < sectors; s += chunk) parts.push(Buffer.from(image.readSectors(s, Math.min(chunk, sectors - s))));
  return Buffer.concat(parts);
}

/** Opens `file` read-only, reads every sector, closes it. */
export function readImageFile(file: string): Buffer {
  const image = openImage(file, { readOnly: true });
  try {
    return readAll(image);
  } finally {
    image.close();
  }
}

/** mulberry32: small, fast, seeded. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(random: () => number, below: number): number {
  return Math.floor(random() * below);
}

/** Deterministic bytes for a write (so that every write is distinguishable). */
export function patternBytes(random: () => number, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i += 4) out.writeUInt32LE((random() * 2 ** 32) >>> 0, i);
  return out;
}
