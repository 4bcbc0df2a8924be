/**
 * Seeded fuzzing of system files through the real CLI path (`hv run system.yaml`, in-process):
 * valid systems (single guest, several cores, raw images, disks on every I/O path with the driver
 * VM, cycle timing with a cost file) get data mutations (boundary numbers, wrong types, other
 * valid choices, hostile paths such as /dev/zero, unknown and deleted keys, duplicated guests)
 * and YAML text mutations. Every case must end in exit 0, 2 or 3 without a stack trace: never
 * exit 1 (an internal error).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { placeImage, readImage } from '../../hv/core/image.ts';
import { createQcow2 } from '../../hv/storage/qcow2/create.ts';
import { FIRMWARE, makeTempDir } from '../helpers/hv-cli.ts';
import { STACK_TRACE, hvInProcess } from '../helpers/hv-in-process.ts';
import { campaign, campaignTimeout, pick } from './fuzz.ts';
import { type ValuePools, mutateYaml } from './yaml-mutation.ts';

const tmp = makeTempDir('hvlab-fuzz-system-');
afterAll(() => tmp.remove());
const fw = (name: string) => join(FIRMWARE, `${name}.elf`);
/** Virtual time per case: enough to boot and print, short in host time. */
const UNTIL = '10000';

const SEEDS: readonly unknown[] = [
  { guests: [{ name: 'hello', image: fw('hello') }] },
  {
    cores: 2,
    'slice-cycles': 5000,
    guests: [
      { name: 'hello', image: fw('hello') },
      { name: 'tasks', image: fw('tasks'), core: 1 },
      { name: 'fault', image: fw('fault'), 'console-limit': 64 },
    ],
  },
  { guests: [{ name: 'raw', image: 'hello.bin', format: 'bin', 'load-address': 0, 'code-size': '64KiB', 'sram-size': '16KiB' }] },
  {
    io: { 'disk-timing': 'emmc', cache: { policy: 'lru', size: '64KiB', block: 512, write: 'back' } },
    guests: [{ name: 'io', image: fw('ioload'), 'io-path': 'emulated', disk: 'disk.img', 'disk-snapshot': true, cmdline: 'requests=1' }],
  },
  {
    cores: 2,
    io: { 'driver-vm': { image: fw('driver-vm'), core: 1 }, 'disk-timing': { base: 'sd-spi', 'seek-cycles': 10 } },
    guests: [
      { name: 'ctx', image: fw('ioload'), 'io-path': 'in-context', disk: 'base.qcow2', 'disk-snapshot': true, cmdline: 'requests=1' },
      { name: 'split', image: fw('ioload'), 'io-path': 'split', disk: 'disk.img', 'disk-format': 'raw', 'disk-snapshot': true, cmdline: 'requests=1' },
    ],
  },
  { timing: 'cycle', costs: 'costs.yaml', guests: [{ name: 'fpu', image: fw('fpu'), semihosting: true, cmdline: 'x' }] },
];

const POOLS: ValuePools = {
  choices: [
    ...['in-context', 'split', 'emulated', 'raw', 'qcow2', 'elf', 'bin', 'lru', 'arc', 's3fifo', 'layered', 'none', 'through', 'back'],
    ...['sd-spi', 'emmc', 'instruction', 'cycle', 'mps2-an386', '64KiB', '4 MiB', 4096, 512, 1, 2, 3, 64, 100, 114, 0x20000000],
    ...[fw('hello'), fw('tasks'), fw('ioload'), fw('driver-vm'), 'disk.img', 'base.qcow2', 'hello.bin', 'costs.yaml', true, false, 'requests=1'],
    { image: fw('driver-vm') },
    { policy: 'arc', size: 8192, block: 8192 },
  ],
  strings: ['/dev/zero', '/dev/full', '.', 'README.md', 'missing.elf', 'costs.yaml', 'hello.bin', '', '../', 'x'.repeat(40), 'a b', 'ok-name', '\u202e', 'bomb.yaml'],
  keys: [
    ...['cores', 'board', 'slice-cycles', 'costs', 'timing', 'io', 'guests', 'name', 'image', 'format', 'load-address', 'core', 'code-size', 'sram-size'],
    ...['semihosting', 'console-limit', 'cmdline', 'vector-table', 'io-path', 'disk', 'disk-format', 'disk-snapshot', 'driver-vm', 'disk-timing', 'cache'],
    ...['policy', 'size', 'block', 'write', 'base', 'command-cycles', 'per-sector-cycles', 'seek-cycles', 'colour'],
  ],
  maxListLength: 6,
};

beforeAll(() => {
  const hello = readImage(fw('hello'));
  const flat = Buffer.alloc(0x800);
  placeImage(hello, (address, bytes) => address < flat.length && Buffer.from(bytes).copy(flat, address));
  writeFileSync(join(tmp.dir, 'hello.bin'), flat);
  writeFileSync(join(tmp.dir, 'README.md'), '# not firmware\n');
  writeFileSync(join(tmp.dir, 'costs.yaml'), 'hypercall: 30\ntrapEntry: {cycles: 14, source: bench}\n');
  writeFileSync(join(tmp.dir, 'bomb.yaml'), 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n');
  createQcow2(join(tmp.dir, 'base-template.qcow2'), { size: 1 << 20 });
});

/** Fresh disks for every case (a new inode: nothing a failed case left open can hold them). */
function freshDisks(): void {
  for (const name of ['disk.img', 'base.qcow2']) rmSync(join(tmp.dir, name), { force: true });
  writeFileSync(join(tmp.dir, 'disk.img'), Buffer.alloc(256 << 10));
  copyFileSync(join(tmp.dir, 'base-template.qcow2'), join(tmp.dir, 'base.qcow2'));
}

describe('system file fuzzing through hv run', () => {
  it('mutated system files only ever end in exit 0, 2 or 3, never an internal error', { timeout: campaignTimeout(100) }, async () => {
    const openFiles = () => readdirSync('/proc/self/fd').length;
    const before = openFiles();
    const result = await campaign('system YAML', async (rng, i) => {
      freshDisks();
      const file = join(tmp.dir, `system-${i % 4}.yaml`);
      writeFileSync(file, mutateYaml(pick(rng, SEEDS), rng, POOLS));
      const extra = rng.chance(0.1) ? ['--cores', String(1 + rng.below(4))] : [];
      const r = await hvInProcess(['run', file, '--until-cycles', UNTIL, ...extra]);
      if (![0, 2, 3].includes(r.status ?? -1) || STACK_TRACE.test(r.stderr)) throw new Error(`hv run ${file}: exit ${r.status}\n${r.stderr}`);
      return `exit ${r.status}`;
    });
    expect(result.failures).toEqual([]);
    // Every case, refused or run, closes what it opened (images, disks, traces): no descriptor leaks.
    expect(openFiles() - before).toBeLessThan(5);
    // Both the refusals and the runs must be reached.
    expect(result.counts.get('exit 2') ?? 0).toBeGreaterThan(0);
    expect(result.counts.get('exit 0') ?? 0).toBeGreaterThan(0);
  });
});
