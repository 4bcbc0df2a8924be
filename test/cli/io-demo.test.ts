import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type HvResult, ROOT, guestLines, makeTempDir, runHv } from '../helpers/hv-cli.ts';

/** guests/io-demo.yaml: one ioload guest per I/O path, all over one base image in snapshot mode. */
const tmp = makeTempDir('hvlab-io-demo-');
const BASE = join(ROOT, 'guests/disks/base.qcow2');
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const runs: Array<{ result: HvResult; stats: string; diskTrace: string }> = [];
let baseBefore = '';

beforeAll(() => {
  baseBefore = sha(BASE);
  for (const name of ['first', 'second']) {
    const stats = join(tmp.dir, `${name}.stats.json`);
    const diskTrace = join(tmp.dir, `${name}.disk.csv`);
    runs.push({ result: runHv(['run', 'guests/io-demo.yaml', '--stats', stats, '--disk-trace', diskTrace]), stats, diskTrace });
  }
}, 240_000);
afterAll(() => tmp.remove());

describe('hv run guests/io-demo.yaml', () => {
  it('runs the workload to the end on every path with the same read checksum', () => {
    expect(runs[0]!.result.status, runs[0]!.result.stderr).toBe(0);
    const lines = guestLines(runs[0]!.result.stdout);
    const summaries = ['in-context', 'split', 'emulated'].map((g) => lines.find((l) => l.startsWith(`[${g}] ioload: 64 requests, 0 errors, read checksum `)));
    for (const s of summaries) expect(s).toBeDefined();
    const checksums = summaries.map((s) => s!.split(' ').pop());
    expect(new Set(checksums).size).toBe(1);
  });

  it('never writes the base image (snapshot overlays take the writes)', () => {
    expect(sha(BASE)).toBe(baseBefore);
  });

  it('reports each guest on its path, and the block trace names the overlays and the shared base', () => {
    const stats = JSON.parse(readFileSync(runs[0]!.stats, 'utf8'));
    for (const path of ['in-context', 'split', 'emulated']) {
      const g = stats.guests.find((x: { name: string }) => x.name === path);
      expect(g.state).toBe('halted');
      expect(g.io.path).toBe(path);
    }
    const trace = readFileSync(runs[0]!.diskTrace, 'utf8');
    expect(trace).toContain('#! chain in-context in-context.snapshot.qcow2 base.qcow2');
    expect(trace).toContain('#! chain split split.snapshot.qcow2 base.qcow2');
  });

  it('is deterministic: identical stdout, stats and disk trace', () => {
    const [a, b] = runs;
    expect(b!.result.stdout).toBe(a!.result.stdout);
    expect(readFileSync(b!.stats).equals(readFileSync(a!.stats))).toBe(true);
    expect(readFileSync(b!.diskTrace).equals(readFileSync(a!.diskTrace))).toBe(true);
  });
});
