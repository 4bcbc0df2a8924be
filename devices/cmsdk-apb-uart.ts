/**
 * Arm CMSDK APB UART (Arm DDI 0479, section 4.3), with QEMU 7.2's behaviour (the oracle board):
 * transmission is immediate when TX is enabled, there is no FIFO, and the TX interrupt is raised
 * when the transmit buffer empties.
 *
 * | off   | name                | reset | behaviour                                                   |
 * |-------|---------------------|-------|-------------------------------------------------------------|
 * | 0x000 | DATA                | 0     | read: received byte, clears STATE.RXFULL; write: transmit    |
 * | 0x004 | STATE               | 0     | 0 TXFULL, 1 RXFULL (read-only), 2 TXOVERRUN, 3 RXOVERRUN (W1C)|
 * | 0x008 | CTRL                | 0     | 0 TX_EN, 1 RX_EN, 2 TX_INTEN, 3 RX_INTEN, 4 TXO_INTEN,        |
 * |       |                     |       | 5 RXO_INTEN, 6 HSTEST (stored)                                |
 * | 0x00C | INTSTATUS/INTCLEAR  | 0     | 0 TX, 1 RX, 2 TXO, 3 RXO; W1C (TXO/RXO also clear STATE bits) |
 * | 0x010 | BAUDDIV             | 0     | 20 bits, stored (transfer time is not modelled, as in QEMU)   |
 * | 0xFD0 | PID4..PID3, CID0..3 |       | 04 00 00 00 21 B8 1B 00 0D F0 05 B1                           |
 *
 * A byte written while TX is disabled stays in the transmit buffer with TXFULL set and is never
 * sent (QEMU does the same); a write while TXFULL sets TXOVERRUN. Interrupt outputs are levels:
 * TX, RX, TX overrun, RX overrun and the combined UARTINT.
 */
import { type DeviceContext, type IrqLine, type MmioDevice, UNCONNECTED, readIdRegister } from './device.ts';

const STATE_TXFULL = 1 << 0;
const STATE_RXFULL = 1 << 1;
const STATE_TXOVERRUN = 1 << 2;
const STATE_RXOVERRUN = 1 << 3;
const CTRL_TX_EN = 1 << 0;
const CTRL_RX_EN = 1 << 1;
const CTRL_TX_INTEN = 1 << 2;
const CTRL_RX_INTEN = 1 << 3;
const CTRL_TXO_INTEN = 1 << 4;
const CTRL_RXO_INTEN = 1 << 5;
const INT_TX = 1 << 0;
const INT_RX = 1 << 1;
const INT_TXO = 1 << 2;
const INT_RXO = 1 << 3;
const IDS = [0x04, 0x00, 0x00, 0x00, 0x21, 0xb8, 0x1b, 0x00, 0x0d, 0xf0, 0x05, 0xb1];

export interface UartIrqs {
  tx?: IrqLine;
  rx?: IrqLine;
  txOverrun?: IrqLine;
  rxOverrun?: IrqLine;
  combined?: IrqLine;
}

export class CmsdkApbUart implements MmioDevice {
  readonly model = 'cmsdk-apb-uart';
  readonly size = 0x1000;
  private rxbuf = 0;
  private txbuf = 0;
  private state = 0;
  private ctrl = 0;
  private intstatus = 0;
  private bauddiv = 0;
  private readonly lines: Required<UartIrqs>;
  private rxReady: () => void = () => {};

  constructor(
    readonly name: string,
    private readonly ctx: DeviceContext,
    /** Receives every transmitted byte (the board connects it to the guest's console). */
    private readonly output: (byte: number) => void,
    irqs: UartIrqs = {},
  ) {
    this.lines = {
      tx: irqs.tx ?? UNCONNECTED,
      rx: irqs.rx ?? UNCONNECTED,
      txOverrun: irqs.txOverrun ?? UNCONNECTED,
      rxOverrun: irqs.rxOverrun ?? UNCONNECTED,
      combined: irqs.combined ?? UNCONNECTED,
    };
  }

  reset(): void {
    this.rxbuf = 0;
    this.txbuf = 0;
    this.state = 0;
    this.ctrl = 0;
    this.intstatus = 0;
    this.bauddiv = 0;
    this.updateIrq();
  }

  read(offset: number, size: number): number {
    switch (offset) {
      case 0x000:
        this.state &= ~STATE_RXFULL;
        this.updateIrq();
        if (this.ctrl & CTRL_RX_EN) this.rxReady();
        return this.rxbuf;
      case 0x004:
        return this.state;
      case 0x008:
        return this.ctrl;
      case 0x00c:
        return this.intstatus;
      case 0x010:
        return this.bauddiv;
      default:
        return this.readOther(offset, size);
    }
  }

  write(offset: number, size: number, value: number): void {
    switch (offset) {
      case 0x000:
        return this.writeData(value & 0xff);
      case 0x004:
        this.state &= ~(value & (STATE_TXOVERRUN | STATE_RXOVERRUN));
        return this.updateIrq();
      case 0x008: {
        const enablesRx = (value & ~this.ctrl & CTRL_RX_EN) !== 0;
        this.ctrl = value & 0x7f;
        this.updateIrq();
        if (enablesRx && !(this.state & STATE_RXFULL)) this.rxReady();
        return;
      }
      case 0x00c:
        return this.clearInterrupts(value);
      case 0x010:
        this.bauddiv = value & 0xfffff;
        return;
      default:
        this.ctx.unimplemented(this.name, offset, size, true);
    }
  }

  /**
   * Calls `listener` when the receive buffer can take a byte again (the guest read DATA or
   * enabled RX): a sender holding bytes back (flow control, as QEMU's character backends do)
   * offers the next one then.
   */
  onReceiveReady(listener: () => void): void {
    this.rxReady = listener;
  }

  /** A byte arriving on the receive line (dropped unless RX is enabled and the buffer is free). */
  receive(byte: number): boolean {
    if (!(this.ctrl & CTRL_RX_EN) || this.state & STATE_RXFULL) return false;
    this.rxbuf = byte & 0xff;
    this.state |= STATE_RXFULL;
    if (this.ctrl & CTRL_RX_INTEN) this.intstatus |= INT_RX;
    this.updateIrq();
    return true;
  }

  private readOther(offset: number, size: number): number {
    const id = readIdRegister(IDS, offset);
    if (id !== undefined) return id;
    this.ctx.unimplemented(this.name, offset, size, false);
    return 0;
  }

  private writeData(byte: number): void {
    this.txbuf = byte;
    if (this.state & STATE_TXFULL) {
      this.state |= STATE_TXOVERRUN;
      return this.updateIrq();
    }
    this.state |= STATE_TXFULL;
    this.transmit();
  }

  private transmit(): void {
    if (!(this.ctrl & CTRL_TX_EN)) return;
    this.output(this.txbuf);
    this.state &= ~STATE_TXFULL;
    if (this.ctrl & CTRL_TX_INTEN) this.intstatus |= INT_TX;
    this.updateIrq();
  }

  private clearInterrupts(value: number): void {
    this.intstatus &= ~(value & 0xf);
    if (value & INT_TXO) this.state &= ~STATE_TXOVERRUN;
    if (value & INT_RXO) this.state &= ~STATE_RXOVERRUN;
    this.updateIrq();
  }

  /** Recomputes the overrun status bits and drives every interrupt output as a level. */
  private updateIrq(): void {
    this.intstatus &= ~(INT_TXO | INT_RXO);
    if (this.state & STATE_TXOVERRUN && this.ctrl & CTRL_TXO_INTEN) this.intstatus |= INT_TXO;
    if (this.state & STATE_RXOVERRUN && this.ctrl & CTRL_RXO_INTEN) this.intstatus |= INT_RXO;
    this.lines.tx((this.intstatus & INT_TX) !== 0);
    this.lines.rx((this.intstatus & INT_RX) !== 0);
    this.lines.txOverrun((this.intstatus & INT_TXO) !== 0);
    this.lines.rxOverrun((this.intstatus & INT_RXO) !== 0);
    this.lines.combined(this.intstatus !== 0);
  }
}
