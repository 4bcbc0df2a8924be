/**
 * The prebuilt images are reproducible: `make -C firmware BUILD=<dir>` with the cross compiler
 * rebuilds every one of them byte for byte (firmware/README.md, "Build"). Skipped, with a
 * warning, on hosts without arm-none-eabi-gcc or make.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, runProgram } from '../helpers/host-tools.ts';
import { FIRMWARE_BUILD, FIRMWARE_DIR } from '../helpers/run-system.ts';

const IMAGES = ['hello', 'tasks', 'fault', 'exceptions', 'fpu', 'compute', 'scan', 'stomp', 'wildjump', 'flood', 'spin', 'ioload', 'malfront', 'driver-vm', 'ioread', 'poke', 'iobound', 'latency', 'phased', 'job', 'itcount', 'crunch', 'echo', 'ackwrite', 'storm'];

const gcc = findOnPath('arm-none-eabi-gcc');
const make = findOnPath('make');
const missing = [gcc ? undefined : 'arm-none-eabi-gcc', make ? undefined : 'make'].filter(Boolean);
const skip = missing.length > 0;
if (skip) {
  console.warn(`test/firmware/rebuild.test.ts: skipped: ${missing.join(' and ')} not found on PATH, so the images cannot be rebuilt`);
}

it('the prebuilt images are the ones firmware/README.md lists', () => {
  expect(readdirSync(FIRMWARE_BUILD).sort()).toEqual(IMAGES.map((i) => `${i}.elf`).sort());
});

describe.skipIf(skip)('firmware rebuild (arm-none-eabi-gcc)', () => {
  let build = '';
  beforeAll(() => {
    build = mkdtempSync(join(tmpdir(), 'hvlab-firmware-'));
  });
  afterAll(() => {
    if (build) rmSync(build, { recursive: true, force: true });
  });

  it('make -C firmware BUILD=<tmpdir> rebuilds every image byte-identically and writes nothing else', async () => {
    const result = await runProgram(make!, ['-C', FIRMWARE_DIR, `BUILD=${build}`], { timeoutMs: 240_000 });
    expect(result.timedOut).toBe(false);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(build).sort()).toEqual(IMAGES.map((i) => `${i}.elf`).sort());
    const differing = IMAGES.filter((image) => {
      const rebuilt = readFileSync(join(build, `${image}.elf`));
      const prebuilt = readFileSync(join(FIRMWARE_BUILD, `${image}.elf`));
      return !rebuilt.equals(prebuilt);
    });
    expect(differing).toEqual([]);
  }, 300_000);
});
