/** The table `hv experiment sched` prints: one row per run (policy, I/O path, sweep value). */
import Table from 'cli-table3';
import type { RunResult } from './sched.ts';

export function schedTable(results: readonly RunResult[]): string {
  const sweep = results.find((r) => r.sweep)?.sweep?.param;
  const table = new Table({
    head: [
      'policy',
      'I/O path',
      ...(sweep ? [sweep] : []),
      'I/O latency p50',
      'p99',
      'p99.9',
      'sched delay p50',
      'p99',
      'I/O per s per I/O VM',
      'CPU instr/s per CPU VM',
      'fairness',
      'switches/s',
      'migrations/s',
      'driver core busy',
    ],
    style: { head: [], border: [] },
  });
  for (const r of results) {
    table.push([
      r.name,
      r.ioPath,
      ...(sweep ? [r.sweep ? String(r.sweep.value) : '-'] : []),
      r.ioLatency.p50,
      r.ioLatency.p99,
      r.ioLatency.p999,
      r.schedDelay.p50,
      r.schedDelay.p99,
      r.ioPerSecond.toFixed(0),
      `${(r.cpuInstructionsPerSecond / 1e6).toFixed(2)} M`,
      r.fairness.toFixed(3),
      r.contextSwitchesPerSecond.toFixed(0),
      r.migrationsPerSecond.toFixed(1),
      `${(r.driverCoreUtilisation * 100).toFixed(1)} %`,
    ]);
  }
  return `${table.toString()}\nlatencies and delays in cycles; rates per virtual second\n`;
}
