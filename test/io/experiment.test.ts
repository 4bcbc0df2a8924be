/**
 * `hv experiment io-path --requests 4 --out DIR` as a child process: the printed tables, and the
 * files it writes (results.json, host.json, phases.svg, one Perfetto trace per path), which must
 * be deterministic (byte-identical when the command runs again) and well-formed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IO_PATHS } from '../../hv/io/io-path.ts';
import { type TraceSlice, asyncErrors, nestingErrors, notWholeNanoseconds } from '../helpers/chrome-trace-check.ts';
import { type HvResult, makeTempDir, runHv } from '../helpers/hv-cli.ts';

type Event = TraceSlice & { id?: string; cat?: string };

const DETERMINISTIC = ['results.json', 'report.html', 'phases.svg', ...IO_PATHS.map((p) => `trace-${p}.json`)];

let tmp: ReturnType<typeof makeTempDir>;
let first: HvResult;
let second: HvResult;
let firstFiles: Record<string, Buffer>;
let results: { requests: number; size: number; paths: Array<Record<string, any>> };

beforeAll(() => {
  tmp = makeTempDir('hvlab-experiment-');
  const out = join(tmp.dir, 'out');
  first = runHv(['experiment', 'io-path', '--requests', '4', '--out', out], 300_000);
  firstFiles = Object.fromEntries(DETERMINISTIC.filter((f) => existsSync(join(out, f))).map((f) => [f, readFileSync(join(out, f))]));
  results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
  // The same command again, into another directory: nothing may depend on where --out is.
  second = runHv(['experiment', 'io-path', '--requests', '4', '--out', join(tmp.dir, 'again')], 300_000);
}, 600_000);

afterAll(() => tmp?.remove());

const outFile = (name: string) => join(tmp.dir, 'out', name);
const trace = (path: string): Event[] => JSON.parse(readFileSync(outFile(`trace-${path}.json`), 'utf8')).traceEvents;

describe('hv experiment io-path', () => {
  it('exits 0 and prints the summary and phase tables with a row per path', () => {
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    for (const head of ['path', 'latency p50', 'latency p99', 'traps/I/O', 'switches/I/O', 'I/Os per virtual s', 'read checksum', 'phase (mean cycles per I/O)']) {
      expect(first.stdout).toContain(head);
    }
    for (const p of IO_PATHS) expect(first.stdout).toMatch(new RegExp(`│ ${p} +│ \\d+ +│`));
    for (const phase of ['context save', 'grant copy', 'emulation', 'device']) expect(first.stdout).toMatch(new RegExp(`│ ${phase} +│`));
    expect(first.stdout).toContain('results.json');
  });

  it('results.json has the numbers of every path, with equal read checksums and disk hashes', () => {
    expect(results).toMatchObject({ requests: 4, size: 0 });
    expect(results.paths.map((p) => p['path'])).toEqual([...IO_PATHS]);
    for (const r of results.paths) {
      expect(r['latency']).toMatchObject({ p50: expect.any(Number), p99: expect.any(Number) });
      expect(r['latency'].p99).toBeGreaterThanOrEqual(r['latency'].p50);
      expect(r['latency'].p50).toBeGreaterThan(0);
      expect(Object.keys(r['phases']).length).toBeGreaterThan(3);
      expect(r['trapsPerIo']).toBeGreaterThan(0);
      expect(r['worldSwitchesPerIo']).toBeGreaterThanOrEqual(0);
      expect(r['iosPerVirtualSecond']).toBeGreaterThan(0);
      expect(r['readChecksum']).toMatch(/^0x[0-9a-f]{8}$/);
      expect(r['diskSha256']).toMatch(/^[0-9a-f]{64}$/);
      expect(r['guestExit']).toBe(0);
      expect(r['errors']).toBe(0);
    }
    expect(new Set(results.paths.map((r) => r['readChecksum'])).size).toBe(1);
    expect(new Set(results.paths.map((r) => r['diskSha256'])).size).toBe(1);
    const byPath = Object.fromEntries(results.paths.map((r) => [r['path'], r]));
    expect(byPath['in-context']!['worldSwitchesPerIo']).toBe(0);
    expect(byPath['split']!['trapsPerIo']).toBeGreaterThan(byPath['in-context']!['trapsPerIo']);
    expect(byPath['split']!['phases']).toHaveProperty('grant copy');
    expect(byPath['emulated']!['phases']).toHaveProperty('emulation');
  });

  it('phases.svg stacks the phases in pipeline order, has a panel without the device wait, p50 and p99 marks and the parameters', () => {
    const svg = readFileSync(outFile('phases.svg'), 'utf8');
    expect(svg).toContain('all phases, with p50 and p99 I/O latency');
    expect(svg).toContain('hypervisor overhead: without &quot;device&quot;');
    expect(svg).toContain('4 requests per workload phase, mixed 512 B and 4 KiB requests');
    for (const r of results.paths) {
      expect(svg).toContain(`p50 ${r['latency'].p50.toLocaleString('en-US')}`);
      expect(svg).toContain(`p99 ${r['latency'].p99.toLocaleString('en-US')}`);
      // Pipeline order: the trap first, the device before the interrupt injection.
      const order: string[] = r['phaseOrder'];
      expect(order[0]).toBe('trap');
      expect(order.indexOf('device')).toBeLessThan(order.indexOf('interrupt injection'));
      expect([...order].sort()).toEqual(Object.keys(r['phases']).sort());
    }
  });

  it('report.html is self-contained: tables, the chart inline, links to the traces and nothing fetched', () => {
    const html = readFileSync(outFile('report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<svg');
    for (const p of IO_PATHS) expect(html).toContain(`href="trace-${p}.json"`);
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/);
    for (const r of results.paths) expect(html).toContain(`<td>${r['path']}</td><td class="n">${r['ios']}</td>`);
  });

  it('host.json has the host speed of every path; phases.svg is an SVG document', () => {
    const host = JSON.parse(readFileSync(outFile('host.json'), 'utf8'));
    expect(host.paths.map((h: { path: string }) => h.path)).toEqual([...IO_PATHS]);
    for (const h of host.paths) expect(h.seconds).toBeGreaterThan(0);
    const svg = readFileSync(outFile('phases.svg'), 'utf8').trim();
    expect(svg).toMatch(/^<svg[\s>]/);
    expect(svg).toMatch(/<\/svg>$/);
    expect(svg).toContain('in-context');
  });

  it('running it again into another directory gives byte-identical results.json and traces', () => {
    expect(second.status).toBe(0);
    expect(Object.keys(firstFiles).sort()).toEqual([...DETERMINISTIC].sort());
    for (const f of DETERMINISTIC) expect(readFileSync(join(tmp.dir, 'again', f)).equals(firstFiles[f]!), f).toBe(true);
  });
});

describe.each(IO_PATHS)('trace-%s.json', (path) => {
  it('is valid for Perfetto: whole nanoseconds, exactly nested slices per track, nested async I/O per guest track', () => {
    const events = trace(path);
    expect(events.length).toBeGreaterThan(100);
    expect(notWholeNanoseconds(events)).toEqual([]);
    expect(nestingErrors(events)).toEqual([]);
    expect(asyncErrors(events)).toEqual([]);
    const async = events.filter((e) => e.ph === 'b' || e.ph === 'e');
    expect(async.length).toBeGreaterThan(80);
    // The guest's track (and lanes for overlapping phases), named after the guest.
    expect(new Set(async.map((e) => e.id).filter((id) => !id!.startsWith('io ioload #')))).toEqual(new Set(['io ioload']));
    expect(events.filter((e) => e.ph === 'n').every((e) => e.name === 'ioload I/O')).toBe(true);
    expect(events.filter((e) => e.ph === 'b' && e.name.startsWith('io ')).length).toBe(results.paths.find((r) => r['path'] === path)!['ios']);
  });
});

describe('the in-context trace', () => {
  it("shows the I/O phases as slices on core 0, inside the guest's residency", () => {
    const events = trace('in-context');
    const core0 = events.filter((e) => e.ph === 'X' && e.pid === 1 && e.tid === 1);
    const residency = core0.filter((e) => e.name === 'ioload');
    expect(residency.length).toBeGreaterThan(0);
    for (const name of ['io context save', 'io driver run', 'io device', 'io restore']) {
      const slices = core0.filter((e) => e.name === name);
      expect(slices.length, name).toBeGreaterThan(0);
      const outside = slices.filter((s) => !residency.some((r) => r.ts! <= s.ts! && s.ts! + s.dur! <= r.ts! + r.dur!));
      expect(outside, name).toEqual([]);
    }
    const other = events.filter((e) => e.ph === 'X' && e.name.startsWith('io ') && !(e.pid === 1 && e.tid === 1));
    expect(other).toEqual([]);
  });
});

describe('--driver-core shared', () => {
  it('puts the driver VM on the guest core: the split path switches to it, in-context never does, the bytes stay the same', () => {
    const dir = join(tmp.dir, 'shared');
    const run = runHv(['experiment', 'io-path', '--requests', '4', '--driver-core', 'shared', '--out', dir], 300_000);
    expect(run.status, run.stderr).toBe(0);
    const shared = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(shared.driverCore).toBe('shared');
    const by = Object.fromEntries(shared.paths.map((r: Record<string, any>) => [r['path'], r]));
    expect(by['split']['worldSwitchesPerIo']).toBeGreaterThanOrEqual(1);
    expect(by['in-context']['worldSwitchesPerIo']).toBe(0);
    expect(by['emulated']['worldSwitchesPerIo']).toBe(0);
    for (const path of IO_PATHS) {
      const own = results.paths.find((r) => r['path'] === path)!;
      expect(by[path]['readChecksum']).toBe(own['readChecksum']);
      expect(by[path]['diskSha256']).toBe(own['diskSha256']);
    }
  });

  it('refuses another value', () => {
    const run = runHv(['experiment', 'io-path', '--driver-core', 'both', '--out', join(tmp.dir, 'bad')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('--driver-core: expected own or shared, got "both"');
  });
});
