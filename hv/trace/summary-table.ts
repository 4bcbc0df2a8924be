/** The short human-readable table `hv run` ends with. */
import Table from 'cli-table3';
import type { StatsFile } from './stats-file.ts';

function total(record: Record<string, number>): number {
  return Object.values(record).reduce((a, b) => a + b, 0);
}

export function summaryTable(stats: StatsFile): string {
  const table = new Table({
    head: ['guest', 'core', 'state', 'instructions', 'cycles', 'exceptions', 'traps', 'lines', 'note'],
    style: { head: [], border: [] },
  });
  for (const g of stats.guests) {
    const where = g.fault && (g.fault.symbol ?? `0x${g.fault.pc.toString(16)}`);
    const note = g.fault ? `${g.fault.kind} at ${where}` : g.exitCode !== null ? `exit ${g.exitCode}` : '';
    table.push([g.name, g.core, g.state, g.instructions, g.cycles, total(g.exceptions), total(g.traps), g.console.lines, note]);
  }
  const seconds = stats.cycles / stats.clockHz;
  const footer = `run ended: ${stats.endReason} at cycle ${stats.cycles} (${seconds.toFixed(6)} s of virtual time at ${stats.clockHz / 1e6} MHz)`;
  return `${table.toString()}\n${footer}\n`;
}
