/**
 * The cluster experiment's charts, rendered to SVG with Vega (deterministic: no fonts measured,
 * no dates): completion and queueing times per policy as grouped bars, and each slave's
 * utilisation per policy as a strip of points (one per slave, so imbalance shows as spread).
 */
import type * as vega from 'vega';
import { renderSvg } from '../svg-chart.ts';
import type { PolicyResult } from '../cluster/metrics.ts';

const MILLION = 1e6;

export async function timesChartSvg(results: readonly PolicyResult[], title: string): Promise<string> {
  const values = results.flatMap((r) => [
    { policy: r.name, metric: 'completion mean', value: r.completion.mean / MILLION },
    { policy: r.name, metric: 'completion p99', value: r.completion.p99 / MILLION },
    { policy: r.name, metric: 'queueing mean', value: r.queueing.mean / MILLION },
    { policy: r.name, metric: 'queueing p99', value: r.queueing.p99 / MILLION },
  ]);
  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 520,
    height: 260,
    padding: 8,
    title: { text: title },
    data: [{ name: 'times', values }],
    scales: [
      { name: 'x', type: 'band', domain: { data: 'times', field: 'policy' }, range: 'width', padding: 0.2 },
      { name: 'y', type: 'linear', domain: { data: 'times', field: 'value' }, range: 'height', nice: true, zero: true },
      { name: 'color', type: 'ordinal', domain: { data: 'times', field: 'metric', sort: true }, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'policy' },
      { orient: 'left', scale: 'y', title: 'million cycles' },
    ],
    legends: [{ fill: 'color', title: 'time' }],
    marks: [
      {
        type: 'group',
        from: { facet: { data: 'times', name: 'facet', groupby: 'policy' } },
        encode: { enter: { x: { scale: 'x', field: 'policy' } } },
        signals: [{ name: 'width', update: "bandwidth('x')" }],
        scales: [{ name: 'inner', type: 'band', range: 'width', domain: { data: 'facet', field: 'metric', sort: true } }],
        marks: [
          {
            type: 'rect',
            from: { data: 'facet' },
            encode: {
              enter: {
                x: { scale: 'inner', field: 'metric' },
                width: { scale: 'inner', band: 1 },
                y: { scale: 'y', field: 'value' },
                y2: { scale: 'y', value: 0 },
                fill: { scale: 'color', field: 'metric' },
              },
            },
          },
        ],
      },
    ],
  };
  return renderSvg(spec);
}

export async function utilisationChartSvg(results: readonly PolicyResult[], title: string): Promise<string> {
  const values = results.flatMap((r) => r.utilisation.map((u, slave) => ({ policy: r.name, slave, utilisation: u })));
  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 520,
    height: 220,
    padding: 8,
    title: { text: title },
    data: [{ name: 'points', values }],
    scales: [
      { name: 'x', type: 'point', domain: { data: 'points', field: 'policy' }, range: 'width', padding: 0.5 },
      { name: 'y', type: 'linear', domain: [0, 1], range: 'height', zero: true },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'policy' },
      { orient: 'left', scale: 'y', title: 'utilisation per slave', format: '%' },
    ],
    marks: [
      {
        type: 'symbol',
        from: { data: 'points' },
        encode: { enter: { x: { scale: 'x', field: 'policy' }, y: { scale: 'y', field: 'utilisation' }, size: { value: 30 }, fillOpacity: { value: 0.4 }, fill: { value: '#1f77b4' } } },
      },
    ],
  };
  return renderSvg(spec);
}
