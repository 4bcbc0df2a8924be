/** The board's interrupt wiring: outputs on one line are ORed; the NMI pends on a rising edge. */
import { describe, expect, it } from 'vitest';
import type { BoardDescription, DeviceSpec } from '../../devices/platforms/board.ts';
import { irqWiring } from '../../hv/core/board-instance.ts';

const devices: DeviceSpec[] = [
  { model: 'cmsdk-apb-uart', name: 'uart0', base: 0x40004000, irq: { rx: 0, tx: 1, txOverrun: 12, rxOverrun: 12 } },
  { model: 'cmsdk-apb-uart', name: 'uart1', base: 0x40005000, irq: { rx: 2, tx: 3, txOverrun: 12, rxOverrun: 12 } },
  { model: 'cmsdk-apb-watchdog', name: 'watchdog', base: 0x40008000, irq: { irq: 'nmi' } },
  { model: 'cmsdk-apb-timer', name: 'timer0', base: 0x40000000 },
];
const board = { devices } as unknown as BoardDescription;

function wire() {
  const log: string[] = [];
  const irq = irqWiring(board, { irqLine: (n) => (high) => log.push(`irq${n} ${high ? 'high' : 'low'}`), nmi: () => log.push('nmi') });
  const line = (device: number, output: string) => irq(devices[device]!, output);
  return { log, line };
}

describe('irqWiring', () => {
  it('passes a single output through as a level, driving the line only on a change', () => {
    const { log, line } = wire();
    const rx = line(0, 'rx');
    rx(true);
    rx(true);
    rx(false);
    expect(log).toEqual(['irq0 high', 'irq0 low']);
  });

  it('ORs every output wired to the same line, across devices', () => {
    const { log, line } = wire();
    const [a, b, c] = [line(0, 'txOverrun'), line(0, 'rxOverrun'), line(1, 'txOverrun')];
    a(true);
    c(true);
    a(false);
    b(true);
    c(false);
    expect(log).toEqual(['irq12 high']);
    b(false);
    expect(log).toEqual(['irq12 high', 'irq12 low']);
  });

  it('pends the NMI once per rising edge', () => {
    const { log, line } = wire();
    const wdog = line(2, 'irq');
    wdog(true);
    wdog(true);
    wdog(false);
    wdog(true);
    expect(log).toEqual(['nmi', 'nmi']);
  });

  it('leaves outputs the board does not wire unconnected', () => {
    const { log, line } = wire();
    line(0, 'combined')(true);
    line(3, 'irq')(true);
    expect(log).toEqual([]);
  });
});
