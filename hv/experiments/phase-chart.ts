/**
 * The experiment's chart: for each I/O path a stacked bar of the mean cycles per I/O spent in
 * each phase, rendered to SVG with Vega (deterministic output: no fonts measured, no dates).
 */
import * as vega from 'vega';

export interface PhaseBar {
  readonly path: string;
  readonly phase: string;
  readonly cycles: number;
}

export async function phaseChartSvg(bars: readonly PhaseBar[], title: string): Promise<string> {
  const spec: vega.Spec = {
    $schema: 'https://vega.github.io/schema/vega/v5.json',
    width: 420,
    height: 260,
    padding: 8,
    title: { text: title },
    data: [
      { name: 'bars', values: bars.map((b) => ({ ...b })), transform: [{ type: 'stack', groupby: ['path'], field: 'cycles', sort: { field: 'phase' } }] },
    ],
    scales: [
      { name: 'x', type: 'band', domain: { data: 'bars', field: 'path' }, range: 'width', padding: 0.3 },
      { name: 'y', type: 'linear', domain: { data: 'bars', field: 'y1' }, range: 'height', nice: true, zero: true },
      { name: 'color', type: 'ordinal', domain: { data: 'bars', field: 'phase', sort: true }, range: 'category' },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'I/O path' },
      { orient: 'left', scale: 'y', title: 'mean cycles per I/O' },
    ],
    legends: [{ fill: 'color', title: 'phase' }],
    marks: [
      {
        type: 'rect',
        from: { data: 'bars' },
        encode: {
          enter: {
            x: { scale: 'x', field: 'path' },
            width: { scale: 'x', band: 1 },
            y: { scale: 'y', field: 'y0' },
            y2: { scale: 'y', field: 'y1' },
            fill: { scale: 'color', field: 'phase' },
          },
        },
      },
    ],
  };
  return new vega.View(vega.parse(spec), { renderer: 'none' }).toSVG();
}
