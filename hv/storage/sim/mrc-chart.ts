/**
 * Miss-ratio curves as SVG (Vega, deterministic output: no fonts measured, no dates): for one
 * trace, or one panel per trace of a suite, the miss ratio of every policy against the cache size
 * as a share of the working set, MIN dashed as the bound.
 */
import type * as vega from 'vega';
import { renderSvg } from '../../svg-chart.ts';

export interface CurvePoint {
  /** The panel (trace) the point belongs to. */
  readonly trace: string;
  readonly policy: string;
  /** Cache size as a percentage of the trace's working set. */
  readonly sizePercent: number;
  readonly missRatio: number;
}

const PANEL_WIDTH = 300;
const PANEL_HEIGHT = 190;

export async function missRatioChartSvg(points: readonly CurvePoint[], title: string): Promise<string> {
  const traces = [...new Set(points.map((p) => p.trace))];
  const columns = Math.min(3, traces.length);
  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    padding: 8,
    title: { text: title },
    data: [{ name: 'points', values: points.map((p) => ({ ...p, dashed: p.policy === 'min' })) }],
    scales: [
      { name: 'color', type: 'ordinal', domain: { data: 'points', field: 'policy' }, range: 'category' },
      { name: 'dash', type: 'ordinal', domain: [false, true], range: [[1, 0], [6, 3]] },
    ],
    legends: [{ stroke: 'color', title: 'policy', orient: 'right' }],
    layout: { columns, padding: 24, bounds: 'full' },
    marks: traces.map((trace) => panel(trace)),
  };
  return renderSvg(spec);
}

function panel(trace: string): vega.GroupMark {
  const data = `points-${trace}`;
  return {
    type: 'group',
    title: { text: trace, fontSize: 11 },
    encode: { update: { width: { value: PANEL_WIDTH }, height: { value: PANEL_HEIGHT } } },
    data: [{ name: data, source: 'points', transform: [{ type: 'filter', expr: `datum.trace === ${JSON.stringify(trace)}` }] }],
    scales: [
      { name: 'x', type: 'log', domain: { data, field: 'sizePercent' }, range: [0, PANEL_WIDTH], nice: false },
      { name: 'y', type: 'linear', domain: [0, 1], range: [PANEL_HEIGHT, 0] },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'cache size (% of working set)', tickCount: 6 },
      { orient: 'left', scale: 'y', title: 'miss ratio', format: '%' },
    ],
    marks: [
      {
        type: 'group',
        from: { facet: { name: `${data}-lines`, data, groupby: 'policy' } },
        marks: [
          {
            type: 'line',
            from: { data: `${data}-lines` },
            sort: { field: 'datum.sizePercent' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'sizePercent' },
                y: { scale: 'y', field: 'missRatio' },
                stroke: { scale: 'color', field: 'policy' },
                strokeDash: { scale: 'dash', field: 'dashed' },
                strokeWidth: { value: 1.5 },
              },
            },
          },
        ],
      },
    ],
  } as vega.GroupMark;
}
