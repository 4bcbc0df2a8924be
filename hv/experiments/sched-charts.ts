/**
 * The charts of `hv experiment sched`, rendered to SVG with Vega (deterministic: no fonts
 * measured, no dates): the I/O latency CDF of each run, each guest's core over time in one run,
 * and a sweep's trade-off curve of I/O latency against CPU throughput.
 */
import type * as vega from 'vega';
import { renderSvg } from '../svg-chart.ts';
import type { Placement } from './sched-metrics.ts';
import { percentile } from '../statistics.ts';

export interface LatencySeries {
  /** The policy as given to --policies (with the sweep value, if any). */
  readonly name: string;
  readonly ioPath: string;
  readonly latencies: readonly number[];
}

export interface SweepPoint {
  /** policy (path) */
  readonly series: string;
  readonly value: string;
  readonly cpuInstructionsPerSecond: number;
  readonly p50: number;
  readonly p99: number;
}

const CDF_STEPS = 200;

/** Latency (log scale) against the fraction of I/Os at most that slow; colour: policy, dash: path. */
export function latencyCdfSvg(series: readonly LatencySeries[], title: string): Promise<string> {
  const points = series.flatMap((s) =>
    s.latencies.length === 0
      ? []
      : Array.from({ length: CDF_STEPS + 1 }, (_, i) => ({
          policy: s.name,
          path: s.ioPath,
          fraction: i / CDF_STEPS,
          latency: Math.max(1, percentile(s.latencies, Math.max(0.01, (100 * i) / CDF_STEPS))),
        })),
  );
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 520,
    height: 300,
    padding: 8,
    title: { text: title },
    data: [{ name: 'points', values: points }],
    scales: [
      { name: 'x', type: 'log', domain: { data: 'points', field: 'latency' }, range: 'width', nice: true },
      { name: 'y', type: 'linear', domain: [0, 1], range: 'height' },
      { name: 'color', type: 'ordinal', domain: { data: 'points', field: 'policy' }, range: 'category' },
      { name: 'dash', type: 'ordinal', domain: { data: 'points', field: 'path' }, range: [[1, 0], [6, 3], [2, 2]] },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'I/O latency (cycles, log scale)', format: '~s' },
      { orient: 'left', scale: 'y', title: 'fraction of I/Os' },
    ],
    legends: [
      { stroke: 'color', title: 'policy', symbolType: 'stroke' },
      { strokeDash: 'dash', title: 'I/O path', symbolType: 'stroke' },
    ],
    marks: [seriesLines('points', ['policy', 'path'], { x: { scale: 'x', field: 'latency' }, y: { scale: 'y', field: 'fraction' }, stroke: { scale: 'color', field: 'policy' }, strokeDash: { scale: 'dash', field: 'path' } })],
  });
}

/** One bar per guest along time, coloured by the core it is on. */
export function placementSvg(stretches: readonly Placement[], cores: number, title: string): Promise<string> {
  const values = stretches.map((p) => ({ ...p, core: `core ${p.core}` }));
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 560,
    height: 22 * Math.max(1, new Set(stretches.map((p) => p.vm)).size),
    padding: 8,
    title: { text: title },
    data: [{ name: 'stretches', values }],
    scales: [
      { name: 'x', type: 'linear', domain: { data: 'stretches', fields: ['from', 'to'] }, range: 'width', zero: true },
      { name: 'y', type: 'band', domain: { data: 'stretches', field: 'vm' }, range: 'height', padding: 0.2 },
      { name: 'color', type: 'ordinal', domain: Array.from({ length: cores }, (_, i) => `core ${i}`), range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'virtual time (cycles)', format: '~s' },
      { orient: 'left', scale: 'y' },
    ],
    legends: [{ fill: 'color', title: 'placed on' }],
    marks: [
      {
        type: 'rect',
        from: { data: 'stretches' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'from' },
            x2: { scale: 'x', field: 'to' },
            y: { scale: 'y', field: 'vm' },
            height: { scale: 'y', band: 1 },
            fill: { scale: 'color', field: 'core' },
          },
        },
      },
    ],
  });
}

/** I/O latency p50 (solid) and p99 (dashed) against CPU throughput, a point per sweep value. */
export function sweepSvg(points: readonly SweepPoint[], title: string): Promise<string> {
  const values = points.flatMap((p) => [
    { ...p, percentile: 'p50', latency: p.p50, cpu: p.cpuInstructionsPerSecond / 1e6 },
    { ...p, percentile: 'p99', latency: p.p99, cpu: p.cpuInstructionsPerSecond / 1e6 },
  ]);
  const enter = { x: { scale: 'x', field: 'cpu' }, y: { scale: 'y', field: 'latency' }, stroke: { scale: 'color', field: 'series' } };
  return renderSvg({
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 520,
    height: 320,
    padding: 8,
    title: { text: title },
    data: [{ name: 'points', values }],
    scales: [
      { name: 'x', type: 'linear', domain: { data: 'points', field: 'cpu' }, range: 'width', nice: true, zero: false },
      { name: 'y', type: 'log', domain: { data: 'points', field: 'latency' }, range: 'height', nice: true },
      { name: 'color', type: 'ordinal', domain: { data: 'points', field: 'series' }, range: 'category' },
      { name: 'dash', type: 'ordinal', domain: ['p50', 'p99'], range: [[1, 0], [6, 3]] },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'CPU throughput per CPU-bound guest (million instructions per virtual second)' },
      { orient: 'left', scale: 'y', title: 'I/O latency (cycles, log scale)', format: '~s' },
    ],
    legends: [
      { stroke: 'color', title: 'policy (I/O path)', symbolType: 'stroke' },
      { strokeDash: 'dash', title: 'latency', symbolType: 'stroke' },
    ],
    marks: [
      seriesLines('points', ['series', 'percentile'], { ...enter, strokeDash: { scale: 'dash', field: 'percentile' } }),
      { type: 'symbol', from: { data: 'points' }, encode: { enter: { ...enter, size: { value: 30 }, fill: { value: 'white' } } } },
      {
        type: 'text',
        from: { data: 'points' },
        encode: { enter: { x: { scale: 'x', field: 'cpu' }, y: { scale: 'y', field: 'latency' }, text: { field: 'value' }, dx: { value: 5 }, dy: { value: -5 }, fontSize: { value: 9 } } },
      },
    ],
  });
}

/** A line per group of `groupby`, in data order. */
function seriesLines(data: string, groupby: string[], enter: Record<string, unknown>): vega.Mark {
  return {
    type: 'group',
    from: { facet: { name: 'series', data, groupby } },
    marks: [{ type: 'line', from: { data: 'series' }, encode: { enter: { ...enter, strokeWidth: { value: 1.5 } } } }],
  } as vega.Mark;
}
