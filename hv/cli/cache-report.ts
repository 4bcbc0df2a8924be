/**
 * The tables `hv cache-sim` prints: one cache size (a row per policy with its lists), and a sweep
 * over sizes (the miss-ratio curves as a table: a row per size, a column per policy). Every hit
 * ratio is also read against MIN's, the optimum at that size.
 */
import Table from 'cli-table3';
import type { PolicyResult } from '../storage/sim/policy-sim.ts';
import type { ReplayResult, SizeResult } from '../storage/sim/replay.ts';
import type { TraceFormat } from '../storage/sim/trace.ts';

const STYLE = { head: [], border: [] };

export function percent(ratio: number): string {
  return `${(100 * ratio).toFixed(2)}%`;
}

/** Hit ratio as a share of MIN's at the same size ('-' without MIN or when MIN hits nothing). */
export function shareOfMin(p: PolicyResult, size: SizeResult): string {
  const min = size.policies.find((q) => q.policy === 'min');
  return min && min.hitRatio > 0 ? percent(p.hitRatio / min.hitRatio) : '-';
}

export function traceLine(trace: string, format: TraceFormat, r: ReplayResult): string {
  return `trace  ${trace} (${format}): ${r.requests} requests, ${r.reads} reads, ${r.writes} writes, ${r.images} images, ${r.vms} VMs, working set ${r.workingSet} blocks`;
}

export function cacheLine(capacity: number, r: ReplayResult): string {
  const mib = (capacity * r.blockSize) / 2 ** 20;
  return `cache  ${capacity} blocks of ${r.blockSize} B (${Number(mib.toFixed(2))} MiB), device ${r.timing}`;
}

/** One size: a row per policy. */
export function sizeReport(trace: string, format: TraceFormat, r: ReplayResult): string {
  const size = r.sizes[0]!;
  const table = new Table({
    head: ['policy', 'hit ratio', 'share of MIN', 'byte hit ratio', 'mean read latency (cycles)', 'layers: mean occupancy, share of hits'],
    style: STYLE,
  });
  for (const p of size.policies) {
    table.push([p.policy, percent(p.hitRatio), shareOfMin(p, size), percent(p.byteHitRatio), p.meanReadCycles.toFixed(1), layersCell(p)]);
  }
  return `${traceLine(trace, format, r)}\n${cacheLine(size.capacity, r)}\n${table.toString()}\n`;
}

/** Several sizes: the miss-ratio curves as a table (miss ratio per policy and size). */
export function sweepReport(trace: string, format: TraceFormat, r: ReplayResult): string {
  const names = r.sizes[0]?.policies.map((p) => p.policy) ?? [];
  const table = new Table({ head: ['cache blocks', 'MiB', '% of working set', ...names.map((n) => `${n} miss`)], style: STYLE });
  for (const size of r.sizes) {
    const mib = (size.capacity * r.blockSize) / 2 ** 20;
    const share = r.workingSet > 0 ? `${((100 * size.capacity) / r.workingSet).toFixed(1)}%` : '-';
    table.push([size.capacity, Number(mib.toFixed(2)), share, ...size.policies.map((p) => percent(1 - p.hitRatio))]);
  }
  return `${traceLine(trace, format, r)}\nmiss ratio by cache size (device ${r.timing}, ${r.blockSize}-byte blocks)\n${table.toString()}\n`;
}

function layersCell(p: PolicyResult): string {
  return p.layers
    .map((l) => `${l.name} ${Math.round(l.meanBlocks)}/${l.capacity}, ${percent(p.hits === 0 ? 0 : l.hits / p.hits)}`)
    .join('\n');
}
