/**
 * The physical console UART (devices/host-console-uart.ts): one CHANNEL register per slot, so
 * that contexts writing at the same time never send bytes to each other's channel.
 */
import { describe, expect, it } from 'vitest';
import { HOSTUART_REG, HOSTUART_SLOT_STRIDE as SLOT, HostConsoleUart } from '../../devices/host-console-uart.ts';

const { DATA, STATE, CHANNEL } = HOSTUART_REG;

function rig(slots = 4) {
  const out: Array<[number, number]> = [];
  const uart = new HostConsoleUart('console-uart', slots, (channel, byte) => out.push([channel, byte]));
  const w = (slot: number, reg: number, value: number) => uart.write(slot * SLOT + reg, 4, value);
  const r = (slot: number, reg: number) => uart.read(slot * SLOT + reg);
  return { uart, out, w, r };
}

describe('host console UART', () => {
  it('has one 0x100 register slot per context', () => {
    expect(rig(5).uart.size).toBe(0x500);
  });

  it('sends DATA bytes to the channel selected in the same slot', () => {
    const { out, w } = rig();
    w(0, CHANNEL, 3);
    w(2, CHANNEL, 5);
    w(0, DATA, 0x41);
    w(2, DATA, 0x42);
    w(0, DATA, 0x43);
    expect(out).toEqual([[3, 0x41], [5, 0x42], [3, 0x43]]);
  });

  it('a slot that never selected a channel sends on channel 0', () => {
    const { out, w } = rig();
    w(1, CHANNEL, 7);
    w(3, DATA, 0x7a);
    expect(out).toEqual([[0, 0x7a]]);
  });

  it('CHANNEL reads back per slot; DATA and STATE read 0; only the low byte of DATA is sent', () => {
    const { out, w, r } = rig();
    w(1, CHANNEL, 6);
    w(2, CHANNEL, 0xffffffff);
    expect([r(0, CHANNEL), r(1, CHANNEL), r(2, CHANNEL), r(3, CHANNEL)]).toEqual([0, 6, 0xffffffff, 0]);
    expect([r(1, DATA), r(1, STATE)]).toEqual([0, 0]);
    w(1, DATA, 0x1234);
    expect(out).toEqual([[6, 0x34]]);
  });

  it('ignores writes to STATE, to other offsets and beyond the last slot', () => {
    const { out, w, r, uart } = rig(2);
    w(0, STATE, 1);
    w(0, 0x0c, 0x41);
    uart.write(2 * SLOT + CHANNEL, 4, 9);
    uart.write(2 * SLOT + DATA, 4, 0x41);
    expect(out).toEqual([]);
    expect(r(0, STATE)).toBe(0);
    expect(uart.read(2 * SLOT + CHANNEL)).toBe(0);
  });

  it('reset selects channel 0 in every slot', () => {
    const { uart, out, w, r } = rig();
    w(1, CHANNEL, 4);
    uart.reset();
    expect(r(1, CHANNEL)).toBe(0);
    w(1, DATA, 0x21);
    expect(out).toEqual([[0, 0x21]]);
  });
});
