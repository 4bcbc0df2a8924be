/**
 * `hv boards`: every board hvlab models, with its CPU, memory map, devices and interrupt lines,
 * from the board descriptions (devices/platforms/).
 */
import Table from 'cli-table3';
import type { Command } from 'commander';
import type { BoardDescription, DeviceSpec } from '../../devices/platforms/board.ts';
import { BOARDS } from '../../devices/platforms/mps2-an386.ts';
import { createDevice } from '../../devices/registry.ts';
import { EventQueue } from '../time/event-queue.ts';
import { hex } from '../format.ts';

export function registerBoardsCommand(program: Command): void {
  program
    .command('boards')
    .description('list the boards: CPU, memory map, devices and interrupts')
    .action(() => {
      process.stdout.write(Object.values(BOARDS).map(boardText).join('\n'));
    });
}

export function boardText(board: BoardDescription): string {
  const style = { head: [], border: [], compact: true };
  const memory = new Table({ head: ['memory', 'base', 'size', 'access', 'mirrors'], style });
  for (const m of board.memory) memory.push([m.name + (m.role ? ` (${m.role})` : ''), hex(m.base, 8), sizeText(m.size), m.perms, (m.aliases ?? []).map((a) => hex(a, 8)).join(' ')]);
  const devices = new Table({ head: ['device', 'model', 'base', 'size', 'interrupts'], style });
  for (const d of board.devices.filter((d) => !d.background)) devices.push([d.name, d.model, hex(d.base, 8), sizeText(deviceSize(d)), irqText(d)]);
  const lines = new Table({ head: ['interrupt', 'sources'], style });
  for (const [line, sources] of interruptLines(board)) lines.push([line, sources.join(', ')]);
  const header = `${board.name}: ${board.cpu}, ${board.clockHz / 1e6} MHz, SysTick reference ${board.systickRefHz / 1e6} MHz, ${board.irqCount} external interrupts, ${board.priorityBits} priority bits`;
  const system = 'system space 0xe0000000: SysTick, NVIC, SCB, MPU, DWT (virtualised by the hypervisor)';
  return `${header}\n${memory.toString()}\n${devices.toString()}\n${system}\n${lines.toString()}\n`;
}

function irqText(d: DeviceSpec): string {
  return Object.entries(d.irq ?? {})
    .map(([output, line]) => `${output} ${line === 'nmi' ? 'NMI' : `IRQ${line}`}`)
    .join(', ');
}

function interruptLines(board: BoardDescription): Map<string, string[]> {
  const lines = new Map<string, string[]>();
  for (const d of board.devices) {
    for (const [output, line] of Object.entries(d.irq ?? {})) {
      const key = line === 'nmi' ? 'NMI' : `IRQ${line}`;
      lines.set(key, [...(lines.get(key) ?? []), `${d.name}.${output}`]);
    }
  }
  return new Map([...lines].sort(([a], [b]) => lineOrder(a) - lineOrder(b)));
}

function lineOrder(name: string): number {
  return name === 'NMI' ? -1 : Number(name.slice(3));
}

/** A device's register window: the model's own size (a throwaway instance tells it). */
function deviceSize(spec: DeviceSpec): number {
  if (spec.size !== undefined) return spec.size;
  const queue = new EventQueue();
  const time = { hz: 1, now: () => 0, schedule: queue.schedule.bind(queue), cancel: queue.cancel.bind(queue) };
  const wiring = { ctx: { time, unimplemented: () => {} }, irq: () => () => {}, consoleByte: () => {}, systemReset: () => {} };
  return createDevice(spec, wiring).size;
}

function sizeText(bytes: number): string {
  if (bytes >= 1 << 20 && bytes % (1 << 20) === 0) return `${bytes >> 20} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes >> 10} KiB`;
  return `${bytes} B`;
}
