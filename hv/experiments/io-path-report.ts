/**
 * What the I/O-path experiment shows besides its tables: the phase chart (phases.svg) and a
 * self-contained report.html with the parameters, the result tables, the chart inline and links
 * to the traces and JSON files written beside it. Only deterministic numbers appear (host speed
 * stays in host.json), so the same experiment writes the same report.
 */
import type { PathResult } from './io-path.ts';
import { type PhaseChart, phaseChartSvg } from './phase-chart.ts';
import { mergedOrder } from './phase-order.ts';
import { reportHtml } from './report-html.ts';

export interface IoPathParameters {
  readonly requests: number;
  /** Request size in bytes; 0 = the workload's mix. */
  readonly size: number;
  readonly driverCore: 'own' | 'shared';
  readonly clockHz: number;
}

/** The phase of the device's own service time. */
const DEVICE_PHASE = 'device';

export async function ioPathArtifacts(results: readonly PathResult[], p: IoPathParameters): Promise<{ svg: string; html: string }> {
  const svg = await phaseChartSvg(chartData(results, p));
  return { svg, html: reportHtml(report(results, p, svg)) };
}

export function parameterText(p: IoPathParameters): string {
  const size = p.size === 0 ? 'mixed 512 B and 4 KiB' : `${p.size} B`;
  const core = p.driverCore === 'own' ? 'driver VM on a core of its own' : "driver VM on the guest's core";
  return `${p.requests} requests per workload phase, ${size} requests, ${core}, disk sd-spi, no disk cache, ${p.clockHz / 1e6} MHz`;
}

function chartData(results: readonly PathResult[], p: IoPathParameters): PhaseChart {
  const bars = results.flatMap((r) => r.phaseOrder.filter((phase) => r.phases[phase] !== undefined).map((phase, order) => ({ path: r.path, phase, cycles: r.phases[phase]!, order })));
  return {
    bars,
    latency: results.map((r) => ({ path: r.path, p50: r.latency.p50, p99: r.latency.p99 })),
    phases: mergedOrder(results.map((r) => r.phaseOrder)),
    devicePhase: DEVICE_PHASE,
    title: 'I/O paths: mean cycles per I/O, by phase',
    subtitle: parameterText(p),
  };
}

function report(results: readonly PathResult[], p: IoPathParameters, svg: string) {
  const phases = mergedOrder(results.map((r) => r.phaseOrder));
  return {
    title: 'hv experiment io-path',
    parameters: [
      ['requests per workload phase', p.requests],
      ['request size', p.size === 0 ? 'mixed 512 B and 4 KiB' : `${p.size} B`],
      ['driver VM core', p.driverCore],
      ['clock', `${p.clockHz / 1e6} MHz (1 cycle = ${1e9 / p.clockHz} ns)`],
    ] as Array<[string, string | number]>,
    sections: [
      {
        heading: 'Summary',
        table: {
          head: ['path', 'I/Os', 'latency p50 (cycles)', 'latency p99 (cycles)', 'traps per I/O', 'world switches per I/O', 'I/Os per virtual s', 'read checksum'],
          rows: results.map((r) => [r.path, r.ios, r.latency.p50, r.latency.p99, r.trapsPerIo, r.worldSwitchesPerIo, r.iosPerVirtualSecond, r.readChecksum ?? '-']),
        },
      },
      {
        heading: 'Phases (mean cycles per I/O, pipeline order)',
        text: ['Left: every phase, with the p50 and p99 I/O latency marked. Right: the hypervisor overhead alone, without the device service time.'],
        svg,
        table: { head: ['phase', ...results.map((r) => r.path)], rows: phases.map((phase) => [phase, ...results.map((r) => r.phases[phase] ?? '-')]) },
      },
      {
        heading: 'Files',
        text: ['Open a trace at ui.perfetto.dev (Open trace file): cores, guests and a track per guest with each I/O and its phases.'],
        links: [
          ...results.map((r) => ({ href: r.trace, label: r.trace, note: `(${r.path} path, Chrome Trace Event JSON)` })),
          { href: 'results.json', label: 'results.json', note: '(every number above)' },
          { href: 'host.json', label: 'host.json', note: '(host speed, varies between runs)' },
          { href: 'phases.svg', label: 'phases.svg', note: '(the chart)' },
        ],
      },
    ],
  };
}
