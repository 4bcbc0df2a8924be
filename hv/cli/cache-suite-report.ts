/** The tables `hv cache-sim --suite` prints (see cache-suite.ts). */
import Table from 'cli-table3';
import { aimCheck, type AimRow, rank, type RankRow } from '../storage/sim/suite/ranking.ts';
import type { WorkloadResult } from '../storage/sim/suite/run-suite.ts';
import { percent } from './cache-report.ts';

const STYLE = { head: [], border: [] };

export interface SuiteFacts {
  readonly seed: number;
  readonly percents: readonly number[];
  readonly blockSize: number;
  readonly device: string;
}

export function suiteReport(results: readonly WorkloadResult[], facts: SuiteFacts): string {
  const shared = results.filter((w) => w.shared);
  const unshared = results.filter((w) => !w.shared);
  const sizes = facts.percents.map((p) => `${p}%`).join(' ');
  return [
    `suite  ${results.length} workloads (seed ${facts.seed}), cache sizes ${sizes} of each working set, ${facts.blockSize}-byte blocks, device ${facts.device}`,
    workloadTable(results),
    rankingTable(`ranking over all ${results.length} workloads`, rank(results)),
    shared.length > 0 ? rankingTable(`ranking over the ${shared.length} shared-base workloads`, rank(shared)) : '',
    unshared.length > 0 ? rankingTable(`ranking over the ${unshared.length} workloads without sharing`, rank(unshared)) : '',
    aimTable(aimCheck(results), facts.percents),
    hitRatioTable(results),
  ]
    .filter((part) => part !== '')
    .join('\n');
}

function workloadTable(results: readonly WorkloadResult[]): string {
  const table = new Table({ head: ['workload', 'shared base', 'requests', 'reads', 'VMs', 'working set (blocks)', 'what'], style: STYLE });
  for (const w of results) table.push([w.name, w.shared ? 'yes' : 'no', w.result.requests, w.result.reads, w.result.vms, w.result.workingSet, w.about]);
  return `${table.toString()}\n`;
}

function rankingTable(title: string, rows: readonly RankRow[]): string {
  const table = new Table({
    head: ['rank', 'policy', 'hit ratio', 'byte hit ratio', 'mean read latency (cycles)', 'share of MIN', 'best at'],
    style: STYLE,
  });
  let rankNo = 0;
  for (const r of rows) {
    const label = r.policy === 'min' ? 'bound' : String(++rankNo);
    table.push([label, r.policy, percent(r.hitRatio), percent(r.byteHitRatio), r.meanReadCycles.toFixed(0), percent(r.shareOfMin), r.policy === 'min' ? '-' : `${r.wins}/${r.points}`]);
  }
  return `${title} (means over workloads and sizes)\n${table.toString()}\n`;
}

function aimTable(rows: readonly AimRow[], percents: readonly number[]): string {
  if (rows.length === 0) return 'aim of issue 13 not checked: it compares the layered policy with the baselines, and --policy leaves one side out\n';
  const table = new Table({ head: ['workload', 'aim', ...percents.map((p) => `${p}%`)], style: STYLE });
  let met = 0;
  let total = 0;
  for (const row of rows) {
    const cells = row.cells.map((c) => `${c.met ? '' : 'MISS '}${signed(c.gapPoints)} ${c.bestBaseline}`);
    met += row.cells.filter((c) => c.met).length;
    total += row.cells.length;
    table.push([row.workload, row.shared ? '>= best' : `>= best - ${row.tolerancePoints}`, ...cells]);
  }
  const title = 'layered against the best other online policy: hit ratio difference in points, and that policy';
  return `${title}\n${table.toString()}\naim met at ${met} of ${total} points\n`;
}

function hitRatioTable(results: readonly WorkloadResult[]): string {
  const names = results[0]?.result.sizes[0]?.policies.map((p) => p.policy) ?? [];
  const table = new Table({ head: ['workload', 'size', 'blocks', ...names], style: STYLE });
  for (const w of results) {
    w.result.sizes.forEach((size, i) => {
      table.push([i === 0 ? w.name : '', `${w.sizePercents[i]}%`, size.capacity, ...size.policies.map((p) => percent(p.hitRatio))]);
    });
  }
  return `hit ratio per workload and size\n${table.toString()}\n`;
}

function signed(points: number): string {
  return `${points >= 0 ? '+' : ''}${points.toFixed(2)}`;
}
