/** Renders a Vega chart specification to an SVG document (the charts of the experiments and the cache simulator). */
import type * as vega from 'vega'; // the library itself loads when a chart is drawn

export async function renderSvg(spec: vega.Spec): Promise<string> {
  const { View, parse } = await import('vega');
  return new View(parse(spec), { renderer: 'none' }).toSVG();
}
