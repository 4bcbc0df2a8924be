/**
 * Every device model saves all of its state: a device driven by a random sequence of register
 * accesses and time, saved (through node:v8, as a checkpoint file holds it) and restored into a
 * fresh device on another clock, then driven on by the same sequence as the original, reads the
 * same values, drives the same interrupt levels, sends the same bytes and keeps its events at
 * the same times as the original. A field a device forgot to save shows as a difference.
 */
import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { CmsdkApbDualTimer, DUALTIMER_MODULE_REG, DUALTIMER_REG } from '../../devices/cmsdk-apb-dualtimer.ts';
import { CmsdkApbTimer, TIMER_REG } from '../../devices/cmsdk-apb-timer.ts';
import { CmsdkApbUart, UART_REG } from '../../devices/cmsdk-apb-uart.ts';
import { CmsdkApbWatchdog, WDOG_REG } from '../../devices/cmsdk-apb-watchdog.ts';
import type { MmioDevice } from '../../devices/device.ts';
import { HOSTUART_REG, HOSTUART_SLOT_STRIDE, HostConsoleUart } from '../../devices/host-console-uart.ts';
import { FPGAIO_REG, Mps2FpgaIo } from '../../devices/mps2-fpgaio.ts';
import { Mps2Scc, SCC_REG } from '../../devices/mps2-scc.ts';
import { UnimplementedDevice } from '../../devices/unimplemented.ts';
import { type FakeTime, IrqProbe, fakeContext } from '../helpers/fake-time.ts';

/** A device with what it drives: interrupt lines and the transcript of its other outputs. */
interface Rig {
  readonly device: MmioDevice & { receive?(byte: number): boolean };
  readonly time: FakeTime;
  readonly irqs: IrqProbe[];
  readonly out: string[];
}

interface Spec {
  readonly name: string;
  readonly offsets: readonly number[];
  make(): Rig;
}

function rig(build: (ctx: ReturnType<typeof fakeContext>, irqs: IrqProbe[], out: string[]) => Rig['device'], lines: number): Rig {
  const ctx = fakeContext();
  const irqs = Array.from({ length: lines }, () => new IrqProbe());
  const out: string[] = [];
  const device = build(ctx, irqs, out);
  device.reset();
  return { device, time: ctx.time, irqs, out };
}

const dualOffsets = [0, DUALTIMER_MODULE_REG.BGLOAD + 4].flatMap((base) => Object.values(DUALTIMER_MODULE_REG).map((o) => base + o));

const SPECS: readonly Spec[] = [
  {
    name: 'cmsdk-apb-uart',
    offsets: Object.values(UART_REG),
    make: () =>
      rig((ctx, [tx, rx, txo, rxo, c], out) => new CmsdkApbUart('uart0', ctx, (b) => out.push(`tx ${b}`), { tx: tx!.line, rx: rx!.line, txOverrun: txo!.line, rxOverrun: rxo!.line, combined: c!.line }), 5),
  },
  { name: 'cmsdk-apb-timer', offsets: Object.values(TIMER_REG), make: () => rig((ctx, [irq]) => new CmsdkApbTimer('timer0', ctx, irq!.line), 1) },
  {
    name: 'cmsdk-apb-dualtimer',
    offsets: [...dualOffsets, DUALTIMER_REG.TIMERITCR, DUALTIMER_REG.TIMERITOP],
    make: () => rig((ctx, [t1, t2, c]) => new CmsdkApbDualTimer('dualtimer', ctx, { timer1: t1!.line, timer2: t2!.line, combined: c!.line }), 3),
  },
  {
    name: 'cmsdk-apb-watchdog',
    offsets: Object.values(WDOG_REG),
    make: () => rig((ctx, [irq], out) => new CmsdkApbWatchdog('watchdog', ctx, irq!.line, () => out.push(`reset at ${ctx.time.now()}`)), 1),
  },
  { name: 'mps2-fpgaio', offsets: Object.values(FPGAIO_REG), make: () => rig((ctx) => new Mps2FpgaIo('fpgaio', ctx, { prescaleClockHz: 25_000_000, leds: 2 }), 0) },
  {
    name: 'mps2-scc',
    offsets: Object.values(SCC_REG),
    make: () => rig((ctx) => new Mps2Scc('scc', ctx, { id: 0x41043860, aid: 0x00200008, cfg4: 2, oscclk: [50_000_000, 24_576_000, 25_000_000] }), 0),
  },
  {
    name: 'hvlab-console-uart',
    offsets: [0, 1, 2].flatMap((slot) => Object.values(HOSTUART_REG).map((o) => slot * HOSTUART_SLOT_STRIDE + o)),
    make: () => rig((_ctx, _irqs, out) => new HostConsoleUart('console-uart', 3, (channel, byte) => out.push(`${channel}:${byte}`)), 0),
  },
  { name: 'unimplemented', offsets: [0, 4, 8], make: () => rig((ctx) => new UnimplementedDevice('gpio0', 0x1000, ctx), 0) },
];

/** A seeded generator of 24-bit numbers (an LCG's high bits: its low bits repeat quickly). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s >>> 8;
  };
}

/** One random operation on `r`, recorded in its transcript. */
function operate(r: Rig, spec: Spec, next: () => number, log: string[]): void {
  const kind = next() % 8;
  const offset = spec.offsets[next() % spec.offsets.length]!;
  // Mostly small values (they make timers expire within the test), sometimes any 32 bits.
  const value = next() % 4 === 0 ? ((next() << 8) | next()) >>> 0 : next() % 64;
  if (kind < 3) r.device.write(offset, 4, value);
  else if (kind < 6) log.push(`read ${offset}: ${r.device.read(offset, 4)}`);
  else if (kind === 6 && r.device.receive) log.push(`receive ${r.device.receive(value & 0xff)}`);
  else r.time.advance(next() % 3000);
  log.push(`irqs ${r.irqs.map((i) => `${i.level}/${i.rises}`).join(' ')} out ${r.out.length} next ${r.time.next}`);
}

function drive(r: Rig, spec: Spec, seed: number, steps: number): string[] {
  const next = lcg(seed);
  const log: string[] = [];
  for (let i = 0; i < steps; i++) operate(r, spec, next, log);
  return [...log, ...r.out];
}

describe.each(SPECS)('$name', (spec) => {
  it.each([1, 2, 3, 4, 5, 6])('a restored copy goes on exactly as the original (seed %i)', (seed) => {
    const original = spec.make();
    drive(original, spec, seed, 200);
    const saved = deserialize(serialize(original.device.saveState()));
    const copy = spec.make();
    copy.time.advanceTo(original.time.now());
    copy.time.queue.beginRestore(original.time.queue.saveState());
    copy.device.restoreState(saved);
    copy.time.queue.endRestore(spec.name);
    copy.irqs.forEach((irq, i) => {
      expect(irq.level).toBe(original.irqs[i]!.level);
      irq.rises = original.irqs[i]!.rises;
    });
    copy.out.push(...original.out);
    expect(drive(copy, spec, seed * 7919, 300)).toEqual(drive(original, spec, seed * 7919, 300));
  });
});

describe('device state', () => {
  it('finds a device that forgets state (the test can fail)', () => {
    const spec = SPECS.find((s) => s.name === 'cmsdk-apb-timer')!;
    const differs = [1, 2, 3, 4, 5, 6].some((seed) => {
      const original = spec.make();
      drive(original, spec, seed, 200);
      const copy = spec.make();
      copy.time.advanceTo(original.time.now());
      const saved = original.device.saveState() as { counter: unknown };
      copy.time.queue.beginRestore(original.time.queue.saveState());
      // Everything but the down-counter: the copy keeps the counter of a timer just reset.
      copy.device.restoreState({ ...saved, counter: (copy.device.saveState() as { counter: unknown }).counter });
      try {
        copy.time.queue.endRestore(spec.name);
      } catch {
        return true;
      }
      return JSON.stringify(drive(copy, spec, seed, 300)) !== JSON.stringify(drive(original, spec, seed, 300));
    });
    expect(differs).toBe(true);
  });
});
