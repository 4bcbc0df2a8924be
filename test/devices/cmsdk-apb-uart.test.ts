/**
 * The CMSDK APB UART against DDI 0479 section 4.3 and QEMU 7.2's hw/char/cmsdk-apb-uart.c:
 * immediate transmission, no FIFO, W1C overrun and interrupt bits, level interrupt outputs.
 */
import { describe, expect, it } from 'vitest';
import { CmsdkApbUart, UART_REG } from '../../devices/cmsdk-apb-uart.ts';
import { CMSDK_ID_REGS } from '../../devices/device.ts';
import { IrqProbe, fakeContext } from '../helpers/fake-time.ts';

const { DATA, STATE, CTRL, INTSTATUS, BAUDDIV } = UART_REG;
const TXFULL = 1, RXFULL = 2, TXOVERRUN = 4;
const TX_EN = 1, RX_EN = 2, TX_INTEN = 4, RX_INTEN = 8, TXO_INTEN = 16;
const INT_TX = 1, INT_RX = 2, INT_TXO = 4;

function setup() {
  const ctx = fakeContext();
  const sent: number[] = [];
  const irq = { tx: new IrqProbe(), rx: new IrqProbe(), txOverrun: new IrqProbe(), rxOverrun: new IrqProbe(), combined: new IrqProbe() };
  const uart = new CmsdkApbUart('uart0', ctx, (b) => sent.push(b), {
    tx: irq.tx.line, rx: irq.rx.line, txOverrun: irq.txOverrun.line, rxOverrun: irq.rxOverrun.line, combined: irq.combined.line,
  });
  uart.reset();
  const r = (offset: number) => uart.read(offset, 4);
  const w = (offset: number, value: number) => uart.write(offset, 4, value);
  return { ctx, uart, sent, irq, r, w };
}

describe('CmsdkApbUart', () => {
  it('has the TRM register map, zero reset values and the QEMU identification registers', () => {
    expect(UART_REG).toEqual({ DATA: 0x000, STATE: 0x004, CTRL: 0x008, INTSTATUS: 0x00c, BAUDDIV: 0x010 });
    const { r, uart } = setup();
    expect([uart.model, uart.size]).toEqual(['cmsdk-apb-uart', 0x1000]);
    expect([DATA, STATE, CTRL, INTSTATUS, BAUDDIV].map(r)).toEqual([0, 0, 0, 0, 0]);
    const ids = [];
    for (let off = CMSDK_ID_REGS.PID4; off <= CMSDK_ID_REGS.CID3; off += 4) ids.push(r(off));
    expect(ids).toEqual([0x04, 0x00, 0x00, 0x00, 0x21, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
  });

  it('transmits a byte at once when TX is enabled, and raises the TX interrupt until INTCLEAR', () => {
    const { r, w, sent, irq } = setup();
    w(CTRL, TX_EN | TX_INTEN);
    w(DATA, 0x141);
    expect(sent).toEqual([0x41]);
    expect(r(STATE)).toBe(0);
    expect(r(INTSTATUS)).toBe(INT_TX);
    expect([irq.tx.level, irq.combined.level]).toEqual([true, true]);
    w(INTSTATUS, INT_TX);
    expect(r(INTSTATUS)).toBe(0);
    expect([irq.tx.level, irq.combined.level]).toEqual([false, false]);
  });

  it('keeps a byte written with TX disabled (TXFULL) and flags an overrun on the next one', () => {
    const { r, w, sent, irq } = setup();
    w(DATA, 1);
    expect(r(STATE)).toBe(TXFULL);
    expect(irq.txOverrun.level).toBe(false);
    w(CTRL, TXO_INTEN);
    w(DATA, 2);
    expect(r(STATE)).toBe(TXFULL | TXOVERRUN);
    expect(r(INTSTATUS)).toBe(INT_TXO);
    expect([irq.txOverrun.level, irq.combined.level]).toEqual([true, true]);
    w(STATE, TXOVERRUN | TXFULL); // W1C: only the overrun bits clear
    expect(r(STATE)).toBe(TXFULL);
    expect(r(INTSTATUS)).toBe(0);
    expect(irq.txOverrun.level).toBe(false);
    w(CTRL, TX_EN);
    expect(sent).toEqual([]); // enabling TX does not send the held byte (QEMU)
  });

  it('clears STATE.TXOVERRUN when INTCLEAR clears the TX overrun interrupt', () => {
    const { r, w } = setup();
    w(CTRL, TXO_INTEN);
    w(DATA, 1);
    w(DATA, 2);
    w(INTSTATUS, INT_TXO);
    expect([r(STATE), r(INTSTATUS)]).toEqual([TXFULL, 0]);
  });

  it('receives a byte only with RX enabled and the buffer free; a DATA read empties it', () => {
    const { r, w, uart, irq } = setup();
    expect(uart.receive(0x55)).toBe(false);
    w(CTRL, RX_EN | RX_INTEN);
    expect(uart.receive(0x155)).toBe(true);
    expect(uart.receive(0x66)).toBe(false);
    expect([r(STATE), r(INTSTATUS), irq.rx.level]).toEqual([RXFULL, INT_RX, true]);
    expect(r(DATA)).toBe(0x55);
    expect(r(STATE)).toBe(0);
    expect(irq.rx.level).toBe(true); // the RX interrupt stays until INTCLEAR
    w(INTSTATUS, INT_RX);
    expect(irq.rx.level).toBe(false);
    expect(uart.receive(0x66)).toBe(true);
  });

  it('stores CTRL bits 6:0 and BAUDDIV bits 19:0', () => {
    const { r, w } = setup();
    w(CTRL, 0xffffff80 | 0x40);
    w(BAUDDIV, 0xfffffff);
    expect([r(CTRL), r(BAUDDIV)]).toEqual([0x40, 0xfffff]);
  });

  it('reports other offsets as unimplemented (reads 0) and resets every register', () => {
    const { r, w, ctx, uart, irq } = setup();
    w(CTRL, TX_EN | TX_INTEN);
    w(DATA, 1);
    w(BAUDDIV, 16);
    expect(r(0x014)).toBe(0);
    w(0x014, 1);
    w(0xfd0, 1);
    expect(ctx.unimplementedLog).toEqual([
      { device: 'uart0', offset: 0x014, size: 4, write: false },
      { device: 'uart0', offset: 0x014, size: 4, write: true },
      { device: 'uart0', offset: 0xfd0, size: 4, write: true },
    ]);
    uart.reset();
    expect([STATE, CTRL, INTSTATUS, BAUDDIV].map(r)).toEqual([0, 0, 0, 0]);
    expect(irq.combined.level).toBe(false);
  });
});
