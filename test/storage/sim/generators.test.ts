import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BOOT_STORM_DEFAULTS, generateBootStorm } from '../../../hv/storage/sim/generators/boot-storm.ts';
import { generateLinkedClones, LINKED_CLONES_DEFAULTS } from '../../../hv/storage/sim/generators/linked-clones.ts';
import { generateMixed, MIXED_DEFAULTS } from '../../../hv/storage/sim/generators/mixed.ts';
import { generateScanHot, SCAN_HOT_DEFAULTS } from '../../../hv/storage/sim/generators/scan-hot.ts';
import { generateVdi, VDI_DEFAULTS } from '../../../hv/storage/sim/generators/vdi.ts';
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
  vdi: (seed: number, out: TraceWriter) => generateVdi({ ...VDI_DEFAULTS, ...common, seed, requests: 20_000, vms: 4, hotBlocks: 4096 }, out),
  'linked-clones': (seed: number, out: TraceWriter) =>
    generateLinkedClones({ ...LINKED_CLONES_DEFAULTS, ...common, seed, requests: 20_000, vms: 4, hotBlocks: 4096, bootBlocks: 256 }, out),
  'scan-hot': (seed: number, out: TraceWriter) => generateScanHot({ ...SCAN_HOT_DEFAULTS, ...common, seed, requests: 5000, scanBlocks: 2048 }, out),
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

  it("vdi: Capo's mix: about 65% of operations are writes and 65% of bytes are reads", () => {
    const { records, chains } = parse(generate('vdi', 5));
    expect(chains.size).toBe(4);
    const writes = records.filter((r) => r.write);
    const bytes = (rs: TraceRecord[]) => rs.reduce((a, r) => a + r.size, 0);
    // Reads split at overlay/base boundaries count as one operation each here, so allow some slack.
    expect(writes.length / records.length).toBeGreaterThan(0.6);
    expect(writes.length / records.length).toBeLessThan(0.68);
    expect(bytes(records.filter((r) => !r.write)) / bytes(records)).toBeGreaterThan(0.6);
    expect(bytes(records.filter((r) => !r.write)) / bytes(records)).toBeLessThan(0.7);
    // Half of the written bytes rewrite blocks written before.
    const seen = new Set<string>();
    let rewritten = 0;
    for (const w of writes) {
      const key = `${w.image}:${w.offset}`;
      if (seen.has(key)) rewritten++;
      seen.add(key);
    }
    expect(rewritten / writes.length).toBeGreaterThan(0.4);
    expect(writes.every((w) => w.image === `${w.vm}.qcow2`)).toBe(true);
  });

  it('linked-clones: an updater writes base-v2; recomposed desktops read changed blocks from it', () => {
    const path = join(tmp.dir, `lc-${files++}.csv`);
    writeFileSync(path, generate('linked-clones', 7));
    const events: string[] = [];
    const reads = new Map<string, Set<string>>();
    readTrace(path, {
      chain: (vm, images) => events.push(`${vm}: ${images.join(' ')}`),
      record: (r) => {
        if (!r.write) (reads.get(r.image) ?? reads.set(r.image, new Set()).get(r.image)!).add(r.vm);
      },
    });
    expect(events.slice(0, 4)).toEqual(['vm1', 'vm2', 'vm3', 'vm4'].map((v) => `${v.replace('vm', 'vm0')}: ${v.replace('vm', 'vm0')}.qcow2 base-v1.img`));
    expect(events[4]).toBe('updater: base-v2.qcow2 base-v1.img');
    expect(events.slice(5)).toEqual(['vm01', 'vm02', 'vm03', 'vm04'].map((v) => `${v}: ${v}-r1.qcow2 base-v2.qcow2 base-v1.img`));
    expect([...reads.get('base-v2.qcow2')!].sort()).toEqual(['vm01', 'vm02', 'vm03', 'vm04']);
    expect(reads.get('base-v1.img')!.size).toBe(4);
  });

  it('scan-hot: the region is read in order, over and over, between hot-set requests', () => {
    const { records } = parse(generate('scan-hot', 5));
    const scan = records.filter((r) => r.size === 8 * 4096).map((r) => r.offset / 4096 - SCAN_HOT_DEFAULTS.hotBlocks);
    expect(scan.slice(0, 3)).toEqual([0, 8, 16]);
    expect(scan[2048 / 8]).toBe(0); // the second pass starts over
    expect(scan.length / records.length).toBeCloseTo(0.3, 1);
  });

  it('scan: passes read the region in order', () => {
    const { records } = parse(generate('scan', 5));
    expect(records.slice(0, 3).map((r) => r.offset)).toEqual([0, 32768, 65536]);
    expect(records).toHaveLength(2 * Math.ceil(1000 / 8));
  });
});
