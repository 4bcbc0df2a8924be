import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOOT_STORM_DEFAULTS, generateBootStorm } from '../../../hv/storage/sim/generators/boot-storm.ts';
import { generateMixed, MIXED_DEFAULTS } from '../../../hv/storage/sim/generators/mixed.ts';
import { generateScan, SCAN_DEFAULTS } from '../../../hv/storage/sim/generators/scan.ts';
import { TraceWriter } from '../../../hv/storage/sim/generators/trace-writer.ts';
import { generateZipf, ZIPF_DEFAULTS } from '../../../hv/storage/sim/generators/zipf.ts';
import { readTrace } from '../../../hv/storage/sim/trace-file.ts';
import type { TraceRecord } from '../../../hv/storage/sim/trace.ts';
import { makeTempDir } from '../../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-gen-');
afterAll(() => tmp.remove());
let files = 0;

const common = { seed: 1, blockSize: 4096 };
const generators = {
  'boot-storm': (seed: number, out: TraceWriter) =>
    generateBootStorm({ ...BOOT_STORM_DEFAULTS, ...common, seed, vms: 4, bootBlocks: 512, privateBlocks: 1024 }, out),
  zipf: (seed: number, out: TraceWriter) => generateZipf({ ...ZIPF_DEFAULTS, ...common, seed, blocks: 4096, requests: 3000, vms: 3 }, out),
  scan: (seed: number, out: TraceWriter) => generateScan({ ...SCAN_DEFAULTS, ...common, seed, blocks: 1000, passes: 2 }, out),
  mixed: (seed: number, out: TraceWriter) => generateMixed({ ...MIXED_DEFAULTS, ...common, seed, requests: 3000, zipfBlocks: 2048, vms: 3 }, out),
};

function generate(kind: keyof typeof generators, seed: number): string {
  const path = join(tmp.dir, `${kind}-${files++}.csv`);
  const out = new TraceWriter(path);
  generators[kind](seed, out);
  out.close();
  return readFileSync(path, 'utf8');
}

function parse(text: string): { records: TraceRecord[]; chains: Map<string, readonly string[]> } {
  const path = join(tmp.dir, `parse-${files++}.csv`);
  writeFileSync(path, text);
  const records: TraceRecord[] = [];
  const chains = new Map<string, readonly string[]>();
  readTrace(path, { record: (r) => records.push({ ...r }), chain: (vm, images) => chains.set(vm, images) });
  return { records, chains };
}

describe('trace generators', () => {
  it.each(Object.keys(generators) as (keyof typeof generators)[])('%s: same seed, byte-identical trace; another seed, another trace', (kind) => {
    const a = generate(kind, 11);
    expect(generate(kind, 11)).toBe(a);
    expect(generate(kind, 12)).not.toBe(a);
    const { records } = parse(a);
    expect(records.length).toBeGreaterThan(100);
    expect(records.every((r, i) => i === 0 || r.time >= records[i - 1]!.time)).toBe(true);
  });

  it('boot-storm: every VM reads the shared base image on its own overlay chain and writes only its overlay', () => {
    const { records, chains } = parse(generate('boot-storm', 3));
    expect([...chains.keys()]).toEqual(['vm01', 'vm02', 'vm03', 'vm04']);
    expect(chains.get('vm02')).toEqual(['vm02.qcow2', 'base.img']);
    for (const vm of chains.keys()) {
      const mine = records.filter((r) => r.vm === vm);
      const baseBlocks = new Set(mine.filter((r) => r.image === 'base.img').map((r) => r.offset));
      expect(baseBlocks.size).toBeGreaterThan(40);
      expect(mine.filter((r) => r.write).every((r) => r.image === `${vm}.qcow2`)).toBe(true);
    }
    // The VMs read nearly the same boot set: most of vm01's base offsets are read by vm04 too.
    const offsets = (vm: string) => new Set(records.filter((r) => r.vm === vm && r.image === 'base.img').map((r) => r.offset));
    const first = offsets('vm01');
    const last = offsets('vm04');
    expect([...first].filter((o) => last.has(o)).length / first.size).toBeGreaterThan(0.9);
    // Staggered starts.
    const start = (vm: string) => records.find((r) => r.vm === vm)!.time;
    expect(start('vm04')).toBeGreaterThan(start('vm01') + 2 * BOOT_STORM_DEFAULTS.staggerUs * 25);
  });

  it('zipf: a few blocks take most reads', () => {
    const { records } = parse(generate('zipf', 5));
    const counts = new Map<number, number>();
    for (const r of records) counts.set(r.offset, (counts.get(r.offset) ?? 0) + 1);
    const top = [...counts.values()].sort((a, b) => b - a).slice(0, 41).reduce((a, b) => a + b, 0);
    expect(top / records.length).toBeGreaterThan(0.25); // top 1% of 4096 blocks
  });

  it('scan: passes read the region in order', () => {
    const { records } = parse(generate('scan', 5));
    expect(records.slice(0, 3).map((r) => r.offset)).toEqual([0, 32768, 65536]);
    expect(records).toHaveLength(2 * Math.ceil(1000 / 8));
  });
});
