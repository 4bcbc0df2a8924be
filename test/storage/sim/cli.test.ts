import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, runHv } from '../../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-cache-cli-');
afterAll(() => tmp.remove());

const GEN = ['trace-gen', 'boot-storm', '--vms', '6', '--boot-blocks', '1024', '--private-blocks', '2048', '--stagger-us', '20000', '--seed', '3'];

/** Table rows of a cache-sim report: the cells of the lines that start a policy's row. */
function rows(stdout: string): string[][] {
  return stdout
    .split('\n')
    .filter((l) => /^│ (lru|arc|s3fifo|layered) /.test(l))
    .map((l) => l.split('│').slice(1, -1).map((c) => c.trim()));
}

describe('hv trace-gen', () => {
  it('writes the same trace to standard output and to --out for the same seed', () => {
    const out = join(tmp.dir, 'boot.csv');
    const toFile = runHv([...GEN, '--out', out]);
    expect(toFile.status).toBe(0);
    const toStdout = runHv(GEN);
    expect(toStdout.status).toBe(0);
    expect(toStdout.stdout).toBe(readFileSync(out, 'utf8'));
    expect(toStdout.stdout.split('\n')[0]).toMatch(/^# hv trace-gen boot-storm --vms 6 .* --seed 3 --block 4096$/);
    expect(toStdout.stderr).toBe('');
  });
});

describe('hv cache-sim', () => {
  it('compares every policy in one table', () => {
    const trace = join(tmp.dir, 'boot.csv');
    const json = join(tmp.dir, 'result.json');
    const r = runHv(['cache-sim', '--trace', trace, '--policy', 'all', '--size', '512', '--json', json]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^trace {2}.*boot\.csv \(csv\): \d+ requests, \d+ reads, \d+ writes, 7 images, 6 VMs$/);
    expect(lines[1]).toBe('cache  512 blocks of 4096 B (2 MiB), device sd-spi');
    expect(lines[3]!.split('│').map((c) => c.trim())).toEqual([
      '', 'policy', 'hit ratio', 'byte hit ratio', 'mean read latency (cycles)', 'layers: mean occupancy, share of hits', '',
    ]);
    const table = rows(r.stdout);
    expect(table.map((row) => row[0])).toEqual(['lru', 'arc', 's3fifo', 'layered']);
    for (const row of table) {
      expect(row[1]).toMatch(/^\d+\.\d\d%$/);
      expect(row[2]).toMatch(/^\d+\.\d\d%$/);
      expect(Number(row[3])).toBeGreaterThan(0);
    }
    expect(table[3]![4]).toMatch(/^L0 \d+\/230, \d+\.\d\d%$/);
    expect(r.stdout).toMatch(/│ +│ +│ +│ +│ L2 \d+\/52, \d+\.\d\d% +│/);
    const result = JSON.parse(readFileSync(json, 'utf8'));
    expect(result.policies).toHaveLength(4);
    expect(result.policies[3].occupancy.length).toBeGreaterThan(0);
  });

  it('reads MSR Cambridge traces and sizes in bytes', () => {
    const trace = join(tmp.dir, 'msr.csv');
    const lines = Array.from({ length: 200 }, (_, i) => `${128166372003061629 + i * 1000},web,2,Read,${(i % 50) * 4096 + 512},1024,300`);
    writeFileSync(trace, `${lines.join('\n')}\n`);
    const r = runHv(['cache-sim', '--trace', trace, '--format', 'msr', '--policy', 'lru', '--size', '64KiB', '--device', 'emmc']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\(msr\): 200 requests, 200 reads, 0 writes, 1 images, 1 VMs/);
    expect(r.stdout).toMatch(/cache {2}16 blocks of 4096 B \(0\.06 MiB\), device emmc/);
    expect(rows(r.stdout).map((row) => row[0])).toEqual(['lru']);
  });

  it('exits 2 with a message naming the file, line or option on bad input', () => {
    const bad = join(tmp.dir, 'bad.csv');
    writeFileSync(bad, 'time_us,vm,op,image,offset,size\n0,vm01,R,base.img,0,4096\n5,vm01,R,base.img,-4096,4096\n');
    const cases: [string[], RegExp][] = [
      [['--trace', join(tmp.dir, 'nope.csv')], /^hv: .*nope\.csv: cannot read trace: ENOENT\n$/],
      [['--trace', bad], /^hv: .*bad\.csv:3: offset: expected a non-negative integer, got "-4096"\n$/],
      [['--trace', bad, '--size', '12XB'], /^hv: --size: expected a block count or a size with a unit .*got "12XB"\n$/],
      [['--trace', bad, '--size', '4'], /^hv: --size: expected at least 8 blocks, got 4\n$/],
      [['--trace', bad, '--size', '1000B'], /^hv: --size: 1000 bytes is not a whole number of 4096-byte blocks\n$/],
      [['--trace', bad, '--policy', 'fifo'], /^hv: --policy: expected one of lru, arc, s3fifo, layered, all, got "fifo"\n$/],
      [['--trace', bad, '--layer-shares', '0.6,0.6'], /^hv: layered policy: layer shares: expected positive values summing to less than 1/],
    ];
    for (const [args, message] of cases) {
      const r = runHv(['cache-sim', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});
