/**
 * Creates device models by model name from a board's device specification.
 */
import { ConfigError } from '../hv/errors.ts';
import { CmsdkApbDualTimer } from './cmsdk-apb-dualtimer.ts';
import { CmsdkApbTimer } from './cmsdk-apb-timer.ts';
import { CmsdkApbUart } from './cmsdk-apb-uart.ts';
import { CmsdkApbWatchdog } from './cmsdk-apb-watchdog.ts';
import type { DeviceContext, IrqLine, MmioDevice } from './device.ts';
import { Mps2FpgaIo } from './mps2-fpgaio.ts';
import { Mps2Scc } from './mps2-scc.ts';
import type { DeviceSpec } from './platforms/board.ts';
import { UnimplementedDevice } from './unimplemented.ts';

export interface DeviceWiring {
  readonly ctx: DeviceContext;
  /** The interrupt line a device output named `output` is wired to (unconnected if none). */
  irq(spec: DeviceSpec, output: string): IrqLine;
  /** Bytes a console UART transmits. */
  consoleByte(byte: number): void;
  /** A device asks for a system reset (watchdog). */
  systemReset(): void;
}

export function createDevice(spec: DeviceSpec, w: DeviceWiring): MmioDevice {
  const o = spec.options ?? {};
  switch (spec.model) {
    case 'cmsdk-apb-uart':
      return new CmsdkApbUart(spec.name, w.ctx, spec.console ? (b) => w.consoleByte(b) : () => {}, {
        tx: w.irq(spec, 'tx'),
        rx: w.irq(spec, 'rx'),
        txOverrun: w.irq(spec, 'txOverrun'),
        rxOverrun: w.irq(spec, 'rxOverrun'),
        combined: w.irq(spec, 'combined'),
      });
    case 'cmsdk-apb-timer':
      return new CmsdkApbTimer(spec.name, w.ctx, w.irq(spec, 'irq'));
    case 'cmsdk-apb-dualtimer':
      return new CmsdkApbDualTimer(spec.name, w.ctx, {
        timer1: w.irq(spec, 'timer1'),
        timer2: w.irq(spec, 'timer2'),
        combined: w.irq(spec, 'combined'),
      });
    case 'cmsdk-apb-watchdog':
      return new CmsdkApbWatchdog(spec.name, w.ctx, w.irq(spec, 'irq'), () => w.systemReset());
    case 'mps2-fpgaio':
      return new Mps2FpgaIo(spec.name, w.ctx, o as { prescaleClockHz?: number; leds?: number });
    case 'mps2-scc':
      return new Mps2Scc(spec.name, w.ctx, o as { id: number; aid: number; cfg4: number; oscclk: readonly number[] });
    case 'unimplemented':
      return new UnimplementedDevice(spec.name, spec.size ?? 0x1000, w.ctx);
    default:
      throw new ConfigError(`board device ${spec.name}: unknown model '${spec.model}'`);
  }
}
