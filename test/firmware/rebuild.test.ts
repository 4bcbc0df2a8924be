/**
 * The prebuilt images are reproducible: `make -C firmware BUILD=<dir>` with the cross compiler
 * rebuilds every one of them, byte for byte with the toolchain firmware/TOOLCHAIN names (the one
 * that built them), and with another toolchain (Debian 13's gcc 14 builds other bytes) into images
 * that behave as the committed ones: the same console output and the same end, for every image
 * that runs alone. Skipped, with a warning, on hosts without arm-none-eabi-gcc or make.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, runProgram } from '../helpers/host-tools.ts';
import { FIRMWARE_BUILD, FIRMWARE_DIR, runSystem } from '../helpers/run-system.ts';

const IMAGES = ['hello', 'tasks', 'fault', 'exceptions', 'fpu', 'compute', 'scan', 'stomp', 'wildjump', 'flood', 'spin', 'ioload', 'malfront', 'driver-vm', 'ioread', 'poke', 'iobound', 'latency', 'phased', 'job', 'itcount', 'crunch', 'echo', 'ackwrite', 'storm', 'pipeline'];
/** Images that run alone to their end (or their fault) in a few seconds: compared by behaviour. */
const STANDALONE = ['hello', 'tasks', 'fault', 'exceptions', 'fpu', 'compute', 'scan', 'stomp', 'wildjump', 'itcount', 'job'];

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

/** The first line of `tool --version`. */
function versionLine(tool: string): string {
  return execFileSync(tool, ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
}

/** This host's toolchain is the one firmware/TOOLCHAIN names (the one that built firmware/build). */
function recordedToolchain(): boolean {
  if (skip) return false;
  const recorded = readFileSync(join(FIRMWARE_DIR, 'TOOLCHAIN'), 'utf8').trimEnd();
  const local = [versionLine(gcc!), versionLine(findOnPath('arm-none-eabi-as') ?? 'arm-none-eabi-as')].join('\n');
  if (local !== recorded) console.warn(`test/firmware/rebuild.test.ts: this toolchain (${local.split('\n')[0]}) did not build firmware/build: comparing behaviour, not bytes`);
  return local === recorded;
}
const SAME_TOOLCHAIN = recordedToolchain();

/**
 * What an image does run alone (to 200 M cycles at most): its own console output and how it
 * ends (a fault's kind and description; its addresses and registers depend on the code layout).
 */
async function behaviour(image: string): Promise<unknown> {
  const run = await runSystem([{ name: 'g', image }], { untilCycles: 200_000_000 });
  const r = run.reports['g']!;
  const fault = r.fault && { reason: r.fault.reason, kind: r.fault.kind, description: r.fault.description, cause: r.fault.cause };
  return { output: run.output('g'), state: r.state, exitCode: r.exitCode, fault };
}

describe.skipIf(skip)('firmware rebuild (arm-none-eabi-gcc)', () => {
  let build = '';
  beforeAll(() => {
    build = mkdtempSync(join(tmpdir(), 'hvlab-firmware-'));
  });
  afterAll(() => {
    if (build) rmSync(build, { recursive: true, force: true });
  });

  it('make -C firmware BUILD=<tmpdir> rebuilds every image without a warning and writes nothing else', async () => {
    const result = await runProgram(make!, ['-C', FIRMWARE_DIR, `BUILD=${build}`], { timeoutMs: 240_000 });
    expect(result.timedOut).toBe(false);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(readdirSync(build).sort()).toEqual(IMAGES.map((i) => `${i}.elf`).sort());
  }, 300_000);

  it.skipIf(!SAME_TOOLCHAIN)('with the recorded toolchain, every rebuilt image is byte-identical to the committed one', () => {
    const differing = IMAGES.filter((image) => !readFileSync(join(build, `${image}.elf`)).equals(readFileSync(join(FIRMWARE_BUILD, `${image}.elf`))));
    expect(differing).toEqual([]);
  });

  it.skipIf(SAME_TOOLCHAIN)('with another toolchain, every image that runs alone behaves as the committed one', async () => {
    for (const image of STANDALONE) {
      expect(await behaviour(join(build, `${image}.elf`)), image).toEqual(await behaviour(join(FIRMWARE_BUILD, `${image}.elf`)));
    }
  }, 300_000);
});
