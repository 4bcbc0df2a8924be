/**
 * The I/O-path experiment's chart, rendered to SVG with Vega (deterministic: no fonts measured,
 * no dates). Two panels of stacked bars, one bar per I/O path, each phase stacked in the order
 * it happens in that path (its pipeline order) with a colour of its own:
 *  - left: mean cycles per I/O of every phase, with the path's p50 and p99 I/O latency marked;
 *  - right: the same without the device's own service time, so that the hypervisor's costs
 *    (trap, context save, driver run, grant copies, interrupt injection, ...) are visible at a
 *    scale of their own instead of being a sliver on top of the device wait.
 * The title names the run's parameters.
 */
import type * as vega from 'vega';
import { renderSvg } from '../svg-chart.ts';

export interface PhaseBar {
  readonly path: string;
  readonly phase: string;
  readonly cycles: number;
  /** Position of the phase in its path's pipeline (0 first). */
  readonly order: number;
}

export interface PathLatency {
  readonly path: string;
  readonly p50: number;
  readonly p99: number;
}

export interface PhaseChart {
  readonly bars: readonly PhaseBar[];
  readonly latency: readonly PathLatency[];
  /** Every phase in legend order (pipeline order across the paths). */
  readonly phases: readonly string[];
  /** The phase that is the device's own service time (left out of the right panel). */
  readonly devicePhase: string;
  readonly title: string;
  readonly subtitle: string;
}

const PANEL_WIDTH = 330;
const PANEL_HEIGHT = 260;
const GAP = 90;

export async function phaseChartSvg(chart: PhaseChart): Promise<string> {
  const overhead = chart.bars.filter((b) => b.phase !== chart.devicePhase);
  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 2 * PANEL_WIDTH + GAP,
    height: PANEL_HEIGHT,
    padding: 12,
    title: { text: chart.title, subtitle: chart.subtitle, anchor: 'start', offset: 16 },
    data: [
      { name: 'all', values: chart.bars.map((b) => ({ ...b })), transform: stack() },
      { name: 'overhead', values: overhead.map((b) => ({ ...b })), transform: stack() },
      { name: 'latency', values: chart.latency.map((l) => ({ ...l })) },
    ],
    scales: [{ name: 'color', type: 'ordinal', domain: [...chart.phases], range: { scheme: 'tableau20' } }],
    legends: [{ fill: 'color', title: 'phase', orient: 'right' }],
    marks: [
      panel('all', 0, 'all phases, with p50 and p99 I/O latency', true),
      panel('overhead', PANEL_WIDTH + GAP, `hypervisor overhead: without "${chart.devicePhase}"`, false),
    ],
  };
  return renderSvg(spec);
}

function stack(): vega.Transforms[] {
  return [{ type: 'stack', groupby: ['path'], field: 'cycles', sort: { field: 'order' } }];
}

function panel(data: string, x: number, title: string, withLatency: boolean): vega.GroupMark {
  const yDomain = withLatency ? { fields: [{ data, field: 'y1' }, { data: 'latency', field: 'p99' }] } : { data, field: 'y1' };
  return {
    type: 'group',
    encode: { enter: { x: { value: x }, width: { value: PANEL_WIDTH }, height: { value: PANEL_HEIGHT } } },
    title: { text: title, fontSize: 12 },
    scales: [
      { name: 'x', type: 'band', domain: { data, field: 'path' }, range: [0, PANEL_WIDTH], padding: 0.3 },
      { name: 'y', type: 'linear', domain: yDomain, range: [PANEL_HEIGHT, 0], nice: true, zero: true },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'I/O path' },
      { orient: 'left', scale: 'y', title: 'mean cycles per I/O', format: ',d' },
    ],
    marks: [
      {
        type: 'rect',
        from: { data },
        encode: {
          enter: {
            x: { scale: 'x', field: 'path' },
            width: { scale: 'x', band: 1 },
            y: { scale: 'y', field: 'y0' },
            y2: { scale: 'y', field: 'y1' },
            fill: { scale: 'color', field: 'phase' },
            stroke: { value: 'white' },
            strokeWidth: { value: 0.5 },
            tooltip: { signal: "datum.phase + ': ' + format(datum.cycles, ',.1f') + ' cycles'" },
          },
        },
      },
      ...(withLatency ? latencyMarks() : []),
    ],
  };
}

/** A rule across each bar at the path's p50 (dashed) and p99 latency, labelled. */
function latencyMarks(): vega.Mark[] {
  return (['p50', 'p99'] as const).flatMap((p): vega.Mark[] => [
    {
      type: 'rule',
      from: { data: 'latency' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'path', offset: -6 },
          x2: { scale: 'x', field: 'path', band: 1, offset: 6 },
          y: { scale: 'y', field: p },
          stroke: { value: '#222' },
          strokeWidth: { value: 1.5 },
          strokeDash: { value: p === 'p50' ? [4, 3] : [] },
        },
      },
    },
    {
      type: 'text',
      from: { data: 'latency' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'path', band: 0.5 },
          y: { scale: 'y', field: p, offset: p === 'p50' ? 2 : -2 },
          text: { signal: `'${p} ' + format(datum.${p}, ',d')` },
          align: { value: 'center' },
          baseline: { value: p === 'p50' ? 'top' : 'bottom' },
          fontSize: { value: 9 },
          fill: { value: '#222' },
        },
      },
    },
  ]);
}
