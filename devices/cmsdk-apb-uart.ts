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
import { type DeviceContext, type IrqLine, type MmioDevice, UNCONNECTED } from './device.ts';
import { RegisterMap } from './regmap.ts';

/** Register offsets (DDI 0479 section 4.3). */
export const UART_REG = { DATA: 0x000, STATE: 0x004, CTRL: 0x008, INTSTATUS: 0x00c, BAUDDIV: 0x010 } as const;
type UartRegister = keyof typeof UART_REG;

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

interface UartState {
  readonly regs: Record<UartRegister, number>;
  readonly rxbuf: number;
  readonly txbuf: number;
  readonly rxEnabled: boolean;
}

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
  private readonly regs: RegisterMap<UartRegister>;
  /** STATE, CTRL, INTSTATUS and BAUDDIV as stored. */
  private readonly reg: Record<UartRegister, number>;
  private readonly lines: Required<UartIrqs>;
  private rxReady: () => void = () => {};
  /** CTRL.RX_EN as of the last CTRL write (turning it on offers the sender a byte). */
  private rxEnabled = false;

  constructor(
    readonly name: string,
    ctx: DeviceContext,
    /** Receives every transmitted byte (the board connects it to the guest's console). */
    private readonly output: (byte: number) => void,
    irqs: UartIrqs = {},
  ) {
    this.regs = new RegisterMap(name, ctx, [
      { offset: UART_REG.DATA, name: 'DATA', read: () => this.readData(), write: (v) => this.writeData(v & 0xff) },
      { offset: UART_REG.STATE, name: 'STATE', reset: 0, w1c: STATE_TXOVERRUN | STATE_RXOVERRUN, write: () => this.updateIrq() },
      { offset: UART_REG.CTRL, name: 'CTRL', reset: 0, writable: 0x7f, write: () => this.ctrlWritten() },
      { offset: UART_REG.INTSTATUS, name: 'INTSTATUS', reset: 0, w1c: INT_TX | INT_RX | INT_TXO | INT_RXO, write: (v) => this.clearedInterrupts(v) },
      { offset: UART_REG.BAUDDIV, name: 'BAUDDIV', reset: 0, writable: 0xfffff },
    ], IDS);
    this.reg = this.regs.values;
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
    this.regs.reset();
    this.rxEnabled = false;
    this.updateIrq();
  }

  read(offset: number, size: number): number {
    return this.regs.read(offset, size);
  }

  saveState(): UartState {
    return { regs: this.regs.saveValues(), rxbuf: this.rxbuf, txbuf: this.txbuf, rxEnabled: this.rxEnabled };
  }

  restoreState(state: unknown): void {
    const s = state as UartState;
    this.regs.restoreValues(s.regs);
    this.rxbuf = s.rxbuf;
    this.txbuf = s.txbuf;
    this.rxEnabled = s.rxEnabled;
    this.updateIrq();
  }

  write(offset: number, size: number, value: number): void {
    this.regs.write(offset, size, value);
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
    const r = this.reg;
    if (!(r.CTRL & CTRL_RX_EN) || r.STATE & STATE_RXFULL) return false;
    this.rxbuf = byte & 0xff;
    r.STATE |= STATE_RXFULL;
    if (r.CTRL & CTRL_RX_INTEN) r.INTSTATUS |= INT_RX;
    this.updateIrq();
    return true;
  }

  private readData(): number {
    this.reg.STATE &= ~STATE_RXFULL;
    this.updateIrq();
    if (this.reg.CTRL & CTRL_RX_EN) this.rxReady();
    return this.rxbuf;
  }

  private ctrlWritten(): void {
    const enabled = (this.reg.CTRL & CTRL_RX_EN) !== 0;
    const enablesRx = enabled && !this.rxEnabled;
    this.rxEnabled = enabled;
    this.updateIrq();
    if (enablesRx && !(this.reg.STATE & STATE_RXFULL)) this.rxReady();
  }

  private writeData(byte: number): void {
    this.txbuf = byte;
    if (this.reg.STATE & STATE_TXFULL) {
      this.reg.STATE |= STATE_TXOVERRUN;
      return this.updateIrq();
    }
    this.reg.STATE |= STATE_TXFULL;
    this.transmit();
  }

  private transmit(): void {
    const r = this.reg;
    if (!(r.CTRL & CTRL_TX_EN)) return;
    this.output(this.txbuf);
    r.STATE &= ~STATE_TXFULL;
    if (r.CTRL & CTRL_TX_INTEN) r.INTSTATUS |= INT_TX;
    this.updateIrq();
  }

  /** INTCLEAR: clearing an overrun interrupt also clears its STATE bit. */
  private clearedInterrupts(value: number): void {
    if (value & INT_TXO) this.reg.STATE &= ~STATE_TXOVERRUN;
    if (value & INT_RXO) this.reg.STATE &= ~STATE_RXOVERRUN;
    this.updateIrq();
  }

  /** Recomputes the overrun status bits and drives every interrupt output as a level. */
  private updateIrq(): void {
    const r = this.reg;
    r.INTSTATUS &= ~(INT_TXO | INT_RXO);
    if (r.STATE & STATE_TXOVERRUN && r.CTRL & CTRL_TXO_INTEN) r.INTSTATUS |= INT_TXO;
    if (r.STATE & STATE_RXOVERRUN && r.CTRL & CTRL_RXO_INTEN) r.INTSTATUS |= INT_RXO;
    this.lines.tx((r.INTSTATUS & INT_TX) !== 0);
    this.lines.rx((r.INTSTATUS & INT_RX) !== 0);
    this.lines.txOverrun((r.INTSTATUS & INT_TXO) !== 0);
    this.lines.rxOverrun((r.INTSTATUS & INT_RXO) !== 0);
    this.lines.combined(r.INTSTATUS !== 0);
  }
}
