/**
 * Arm MPS2 with the AN386 FPGA image (Cortex-M4), compatible with QEMU 7.2's `mps2-an386`
 * machine (hw/arm/mps2.c), which is the oracle for hvlab's differential tests.
 *
 * Memory map (QEMU's; accesses to addresses no region or device covers are bus faults):
 * | range                   | what                                                      |
 * |-------------------------|-----------------------------------------------------------|
 * | 0x00000000 +4 MiB       | SSRAM1, code memory (mirror at 0x00400000)                |
 * | 0x00800000 +8 MiB       | reserved, reads as zero                                   |
 * | 0x01000000 +16 KiB      | block RAM (mirrors at 0x01004000, 0x01008000, 0x0100C000) |
 * | 0x01010000 -0x1FFFFFFF  | reserved, reads as zero                                   |
 * | 0x20000000 +4 MiB       | SSRAM2/3, SRAM (mirror at 0x20400000)                     |
 * | 0x20800000 +8 MiB       | reserved, reads as zero                                   |
 * | 0x21000000 +16 MiB      | PSRAM                                                     |
 * | 0x22000000 +32 MiB      | bit-band alias of 0x20000000-0x200FFFFF                   |
 * | 0x40000000 -0x401FFFFF  | peripherals (below); gaps read as zero                    |
 * | 0x40200000 +0x100       | LAN9118 Ethernet (not modelled: reads as zero)            |
 * | 0x41000000 +2 MiB       | VGA (not modelled: reads as zero)                         |
 * | 0x42000000 +32 MiB      | bit-band alias of 0x40000000-0x400FFFFF                   |
 * | 0xE0000000 +1 MiB       | private peripheral bus (SysTick, NVIC, SCB, MPU, DWT)     |
 *
 * Interrupts (NVIC external numbers): UART0-2 RX/TX 0/1, 2/3, 4/5; UART3 18/19; UART4 20/21;
 * UART0-2 overruns ORed on 12; Timer0 8, Timer1 9, dual timer 10, Ethernet 13; watchdog → NMI.
 * 32 external interrupts, 8 priority bits (QEMU keeps all 8), SysTick reference clock 1 MHz.
 */
import type { BoardDescription, DeviceSpec } from './board.ts';

const MiB = 1 << 20;

function uart(index: number, base: number, rx: number, tx: number, overrun?: number): DeviceSpec {
  const irq: Record<string, number> = { rx, tx };
  if (overrun !== undefined) Object.assign(irq, { txOverrun: overrun, rxOverrun: overrun });
  return { model: 'cmsdk-apb-uart', name: `uart${index}`, base, irq, console: index === 0 };
}

function absent(name: string, base: number, size: number, background = false): DeviceSpec {
  return { model: 'unimplemented', name, base, size, background };
}

export const MPS2_AN386: BoardDescription = {
  name: 'mps2-an386',
  cpu: 'cortex-m4',
  clockHz: 25_000_000,
  systickRefHz: 1_000_000,
  irqCount: 32,
  priorityBits: 8,
  memory: [
    { name: 'ssram1', base: 0x00000000, size: 4 * MiB, aliases: [0x00400000], perms: 'rwx', role: 'code' },
    { name: 'blockram', base: 0x01000000, size: 0x4000, aliases: [0x01004000, 0x01008000, 0x0100c000], perms: 'rwx' },
    { name: 'ssram23', base: 0x20000000, size: 4 * MiB, aliases: [0x20400000], perms: 'rwx', role: 'sram' },
    { name: 'psram', base: 0x21000000, size: 16 * MiB, perms: 'rwx' },
  ],
  windows: [
    { base: 0x00800000, size: 0x00800000 },
    { base: 0x01010000, size: 0x1eff0000 },
    { base: 0x20800000, size: 0x00800000 },
    { base: 0x40000000, size: 0x00200400 },
    { base: 0x41000000, size: 0x00200000 },
  ],
  devices: [
    absent('reserved1', 0x00800000, 0x00800000),
    absent('reserved2', 0x01010000, 0x1eff0000),
    absent('reserved3', 0x20800000, 0x00800000),
    absent('apb-region', 0x40000000, 0x10000, true),
    absent('ahb-region', 0x40010000, 0x10000, true),
    absent('extra-region', 0x40020000, 0x10000, true),
    absent('reserved4', 0x40030000, 0x1d0000, true),
    { model: 'cmsdk-apb-timer', name: 'timer0', base: 0x40000000, irq: { irq: 8 } },
    { model: 'cmsdk-apb-timer', name: 'timer1', base: 0x40001000, irq: { irq: 9 } },
    { model: 'cmsdk-apb-dualtimer', name: 'dualtimer', base: 0x40002000, irq: { combined: 10 } },
    uart(0, 0x40004000, 0, 1, 12),
    uart(1, 0x40005000, 2, 3, 12),
    uart(2, 0x40006000, 4, 5, 12),
    uart(3, 0x40007000, 18, 19),
    uart(4, 0x40009000, 20, 21),
    { model: 'cmsdk-apb-watchdog', name: 'watchdog', base: 0x40008000, irq: { irq: 'nmi' } },
    absent('gpio0', 0x40010000, 0x1000),
    absent('gpio1', 0x40011000, 0x1000),
    absent('gpio2', 0x40012000, 0x1000),
    absent('gpio3', 0x40013000, 0x1000),
    absent('spi-apb', 0x40020000, 0x1000),
    absent('spi-lcd', 0x40021000, 0x1000),
    absent('i2c-touch', 0x40022000, 0x1000),
    absent('i2c-audio', 0x40023000, 0x1000),
    absent('i2s', 0x40024000, 0x400),
    absent('spi-adc', 0x40025000, 0x1000),
    absent('spi-shield0', 0x40026000, 0x1000),
    absent('spi-shield1', 0x40027000, 0x1000),
    { model: 'mps2-fpgaio', name: 'fpgaio', base: 0x40028000, options: { prescaleClockHz: 25_000_000, leds: 2 } },
    absent('i2c-shield0', 0x40029000, 0x1000),
    absent('i2c-shield1', 0x4002a000, 0x1000),
    {
      model: 'mps2-scc',
      name: 'scc',
      base: 0x4002f000,
      options: { id: 0x41043860, aid: 0x00200008, cfg4: 0x2, oscclk: [50_000_000, 24_576_000, 25_000_000] },
    },
    absent('lan9118', 0x40200000, 0x100),
    absent('vga', 0x41000000, 0x200000),
  ],
  bitband: [
    { alias: 0x22000000, target: 0x20000000 },
    { alias: 0x42000000, target: 0x40000000 },
  ],
};

export const BOARDS: Readonly<Record<string, BoardDescription>> = { 'mps2-an386': MPS2_AN386 };
