/**
 * `hv experiment sched` as a child process: the table, results.json with the fields the issue
 * names, a valid trace per run in which placement and migrations show, the charts, the same bytes
 * when run again elsewhere, a sweep, and clear errors for bad options.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asyncErrors, nestingErrors, notWholeNanoseconds, type TraceSlice } from '../helpers/chrome-trace-check.ts';
import { type HvResult, makeTempDir, runHv } from '../helpers/hv-cli.ts';

const POLICIES = ['round-robin', 'credit', 'micro-slice', 'io-aware'];
const PATHS = ['split', 'in-context'];
const ARGS = ['experiment', 'sched', '--duration', '3000000', '--cpu-vms', '2'];

let tmp: ReturnType<typeof makeTempDir>;
let first: HvResult;
let again: HvResult;
let results: { workload: Record<string, number>; ioPaths: string[]; policies: Array<Record<string, any>> };

beforeAll(() => {
  tmp = makeTempDir('hvlab-sched-');
  first = runHv([...ARGS, '--out', join(tmp.dir, 'out')], 600_000);
  again = runHv([...ARGS, '--out', join(tmp.dir, 'again')], 600_000);
  results = JSON.parse(readFileSync(join(tmp.dir, 'out', 'results.json'), 'utf8'));
}, 1_200_000);
afterAll(() => tmp?.remove());

const out = (file: string) => join(tmp.dir, 'out', file);
const traceOf = (path: string, policy: string): TraceSlice[] => JSON.parse(readFileSync(out(`trace-${path}-${policy}.json`), 'utf8')).traceEvents;

describe('hv experiment sched', () => {
  it('exits 0 and prints one table with a row per policy and path', () => {
    expect(first.status, first.stderr).toBe(0);
    for (const head of ['policy', 'I/O path', 'I/O latency p50', 'p99.9', 'sched delay p50', 'I/O per s per I/O VM', 'CPU instr/s per CPU VM', 'fairness', 'switches/s', 'migrations/s', 'driver core busy']) {
      expect(first.stdout).toContain(head);
    }
    for (const path of PATHS) for (const policy of POLICIES) expect(first.stdout).toMatch(new RegExp(`│ ${policy} +│ ${path} +│ \\d+`));
    expect(first.stderr).toContain('sched: run 8 of 8: io-aware / in-context');
  });

  it('writes results.json with the named fields for every policy on both paths', () => {
    expect(results.workload).toMatchObject({ cores: 2, 'io-vms': 3, 'cpu-vms': 2, duration: 3_000_000 });
    expect(results.policies.map((p) => `${p['ioPath']}/${p['name']}`)).toEqual(PATHS.flatMap((path) => POLICIES.map((p) => `${path}/${p}`)));
    for (const p of results.policies) {
      expect(Object.keys(p)).toEqual(expect.arrayContaining(['name', 'ioLatency', 'schedDelay', 'ioPerSecond', 'cpuInstructionsPerSecond', 'fairness', 'contextSwitchesPerSecond', 'migrationsPerSecond']));
      expect(Object.keys(p['ioLatency']).sort()).toEqual(['p50', 'p99', 'p999']);
      expect(Object.keys(p['schedDelay']).sort()).toEqual(['p50', 'p99']);
      expect(p['ioLatency'].p50).toBeGreaterThan(0);
      expect(p['ioLatency'].p99).toBeGreaterThanOrEqual(p['ioLatency'].p50);
      expect(p['ioLatency'].p999).toBeGreaterThanOrEqual(p['ioLatency'].p99);
      expect(p['ioPerSecond']).toBeGreaterThan(0);
      expect(p['cpuInstructionsPerSecond']).toBeGreaterThan(1e6);
      expect(p['fairness']).toBeGreaterThan(0);
      expect(p['fairness']).toBeLessThanOrEqual(1);
      expect(p['contextSwitchesPerSecond']).toBeGreaterThan(0);
      expect(p['vms'].map((v: { name: string }) => v.name)).toEqual(['iobound-1', 'latency-1', 'phased-1', 'compute-1', 'compute-2']);
    }
    const by = (path: string, name: string) => results.policies.find((p) => p['ioPath'] === path && p['name'] === name)!;
    // Static placement never migrates; the I/O-aware policy does; in-context I/O never waits for a scheduler.
    for (const path of PATHS) {
      expect(by(path, 'round-robin')['migrationsPerSecond']).toBe(0);
      expect(by(path, 'micro-slice')['migrationsPerSecond']).toBe(0);
      expect(by(path, 'io-aware')['migrationsPerSecond']).toBeGreaterThan(0);
    }
    for (const name of POLICIES) expect(by('in-context', name)['schedDelay']).toEqual({ p50: 0, p99: 0 });
    expect(by('split', 'round-robin')['schedDelay'].p99).toBeGreaterThan(0);
  });

  it('writes a valid trace per run, where the I/O-aware moves show as core counters and residency on both cores', () => {
    for (const path of PATHS) {
      for (const policy of POLICIES) {
        const events = traceOf(path, policy);
        expect(notWholeNanoseconds(events)).toEqual([]);
        expect(asyncErrors(events)).toEqual([]);
        expect(nestingErrors(events)).toEqual([]);
        expect(events.some((e) => e.ph === 'C' && e.name === 'io rate iobound-1')).toBe(true);
      }
    }
    const events = traceOf('split', 'io-aware');
    const cores = events.filter((e) => e.ph === 'C' && e.name === 'core iobound-1').map((e) => e.args!['core']);
    expect(cores).toEqual([0, 1]);
    const residency = new Set(events.filter((e) => e.ph === 'X' && e.name === 'iobound-1' && e.pid === 1).map((e) => e.tid));
    expect([...residency].sort()).toEqual([1, 2]);
  });

  it('writes the latency CDF and a placement chart per run as SVG', () => {
    const svg = (f: string) => readFileSync(out(f), 'utf8').trim();
    expect(svg('latency-cdf.svg')).toMatch(/^<svg[\s>][\s\S]*<\/svg>$/);
    for (const p of POLICIES) expect(svg('latency-cdf.svg')).toContain(p);
    for (const path of PATHS) for (const p of POLICIES) expect(svg(`placement-${path}-${p}.svg`)).toContain('iobound-1');
    expect(existsSync(out('sweep.svg'))).toBe(false);
    const host = JSON.parse(readFileSync(out('host.json'), 'utf8'));
    expect(host.runs).toHaveLength(8);
    expect(host.totalSeconds).toBeGreaterThan(0);
  });

  it('gives byte-identical results, traces and charts when run again into another directory', () => {
    expect(again.status).toBe(0);
    const files = readdirSync(out('.')).filter((f) => f !== 'host.json');
    expect(files.length).toBe(1 + 8 + 8 + 1);
    for (const f of files) expect(readFileSync(join(tmp.dir, 'again', f)).equals(readFileSync(out(f))), f).toBe(true);
    const table = (s: string) => s.split('\n').filter((l) => !l.startsWith('wrote ')).join('\n');
    expect(table(again.stdout)).toBe(table(first.stdout));
  });
});

describe('hv experiment sched --sweep', () => {
  it('runs each value for the policies that have the parameter, once for the others, and draws the trade-off', () => {
    const dir = join(tmp.dir, 'sweep');
    const run = runHv(['experiment', 'sched', '--policies', 'round-robin,io-aware', '--io-path', 'split', '--duration', '2000000', '--sweep', 'driver-slice=1000,50000', '--out', dir], 600_000);
    expect(run.status, run.stderr).toBe(0);
    const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(r.sweep).toEqual({ param: 'driver-slice', values: [1000, 50000] });
    expect(r.policies.map((p: Record<string, any>) => [p['name'], p['sweep']?.value ?? null])).toEqual([['round-robin', null], ['io-aware', 1000], ['io-aware', 50000]]);
    expect(readFileSync(join(dir, 'sweep.svg'), 'utf8')).toContain('io-aware (split)');
    expect(existsSync(join(dir, 'trace-split-io-aware-driver-slice-1000.json'))).toBe(true);
    expect(run.stdout).toMatch(/│ io-aware +│ split +│ 50000 +│/);
  });
});

describe('bad options', () => {
  const bad = (args: string[]) => runHv(['experiment', 'sched', '--out', join(tmp.dir, 'bad'), ...args]);
  it.each([
    [['--policies', 'fifo'], '--policies: unknown policy "fifo" (known: round-robin, credit, micro-slice, io-aware)'],
    [['--policies', 'credit:bogus=1'], '--policies credit:bogus=1: expected credit:KEY=VALUE with KEY one of'],
    [['--policies', 'io-aware:threshold=100:threshold-low=200'], 'scheduler.threshold-low: expected at most threshold (100), got 200'],
    [['--io-path', 'emulated'], '--io-path: expected split or in-context, got "emulated"'],
    [['--sweep', 'bogus=1,2'], '--sweep: "bogus" is not a parameter of the workload or of the policies run'],
    [['--sweep', 'cores'], '--sweep: expected PARAM=V1,V2,..., got "cores"'],
    [['--sweep', 'cores=1,99'], '--sweep cores: expected an integer 1-64, got 99'],
    [['--io-vms', '0'], '--io-vms: expected at least 1 I/O guest'],
    [['--io-vms', '9'], '--io-vms: expected at most 8'],
    [['--cores', '9'], '--cores: expected at most 8 with the in-context path'],
    [['--requests', '5'], "error: unknown option '--requests'"],
  ])('%j', (args, message) => {
    const run = bad(args);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toContain('    at ');
  });

  it('refuses sched options for io-path (each experiment has its own options)', () => {
    const run = runHv(['experiment', 'io-path', '--policies', 'credit', '--out', join(tmp.dir, 'bad')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("error: unknown option '--policies'");
  });
});
