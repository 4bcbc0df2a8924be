/**
 * MPS2 Serial Communication Controller, the FPGA's system control registers (Arm AN385/AN386),
 * with QEMU 7.2's behaviour (hw/misc/mps2-scc.c). The values that differ per board (ID, AID,
 * CFG4, oscillator frequencies) come from the board description.
 *
 * | off   | name            | reset      | behaviour                                              |
 * |-------|-----------------|------------|--------------------------------------------------------|
 * | 0x000 | CFG0            | 0          | RW (bit 0 is the remap control; no remap on mps2)      |
 * | 0x004 | CFG1            | 0          | RW (bits 0-7 drive the SCC LEDs)                       |
 * | 0x008 | CFG2            | -          | bad offset (see below)                                 |
 * | 0x00C | CFG3            | 0          | reads 0 (DIP switches, not modelled); write: bad offset |
 * | 0x010 | CFG4            | options    | read-only (board revision); write: bad offset          |
 * | 0x014 | CFG5, 0x018 CFG6|  -         | bad offsets (see below)                                |
 * | 0x0A0 | SYS_CFGDATA_RTN | 0          | read-only; the result of a SYS_CFG read                |
 * | 0x0A4 | SYS_CFGDATA_OUT | 0          | RW; the data of a SYS_CFG write                        |
 * | 0x0A8 | SYS_CFGCTRL     | 0x00100000 | see below                                              |
 * | 0x0AC | SYS_CFGSTAT     | 0          | bit 0 DONE, bit 1 ERROR; read-only                     |
 * | 0x100 | DLL             | 0xFFFF0001 | only bits 31:24 writable (the DLLs are always locked)  |
 * | 0xFF8 | AID             | options    | read-only                                              |
 * | 0xFFC | ID              | options    | read-only                                              |
 * Every other offset reads 0; writes to it (and to read-only registers) are ignored.
 *
 * SYS_CFGCTRL: bits 11:0 DEVICE, 25:20 FUNCTION, 30 WRITE, 31 START; 19:12 and 29:26 reserved.
 * A write clears SYS_CFGSTAT and stores the value without START and the reserved bits. With
 * START the transfer is instantaneous: DONE is set, and only FUNCTION 1 (OSCCLK) with DEVICE
 * below the number of oscillators succeeds (read into SYS_CFGDATA_RTN, or written from
 * SYS_CFGDATA_OUT); anything else sets ERROR too. Written frequencies only read back.
 *
 * CFG2, CFG5 and CFG6 exist only on AN524/AN547, which QEMU recognises by a part number it
 * extracts as 8 bits and compares with 0x524/0x547, so never: they are bad offsets on every board
 * (and CFG3 always reads 0). Reproduced as is.
 */
import { type DeviceContext, type MmioDevice, sizeMask } from './device.ts';

const CFGCTRL_RESET = 0x00100000;
const CFGCTRL_RESERVED = (0xff << 12) | (0xf << 26);
const CFGCTRL_WRITE = 1 << 30;
const CFGCTRL_START = 1 << 31;
const CFGSTAT_DONE = 1 << 0;
const CFGSTAT_ERROR = 1 << 1;
const FUNCTION_OSCCLK = 1;
const DLL_RESET = 0xffff0001;
const DLL_WRITABLE = 0xff000000;

export interface Mps2SccOptions {
  /** SCC_ID (0x41043860 on AN386). */
  id: number;
  /** SCC_AID (0x00200008 on mps2). */
  aid: number;
  /** CFG4, the board revision (0x2 on mps2). */
  cfg4: number;
  /** Reset frequencies of the oscillators reachable through SYS_CFG, in Hz. */
  oscclk: readonly number[];
}

export class Mps2Scc implements MmioDevice {
  readonly model = 'mps2-scc';
  readonly size = 0x1000;
  private cfg0 = 0;
  private cfg1 = 0;
  private cfgdataRtn = 0;
  private cfgdataOut = 0;
  private cfgctrl = CFGCTRL_RESET;
  private cfgstat = 0;
  private dll = DLL_RESET;
  private readonly oscclk: number[];

  constructor(
    readonly name: string,
    private readonly ctx: DeviceContext,
    private readonly options: Mps2SccOptions,
  ) {
    this.oscclk = [...options.oscclk];
  }

  reset(): void {
    this.cfg0 = 0;
    this.cfg1 = 0;
    this.cfgdataRtn = 0;
    this.cfgdataOut = 0;
    this.cfgctrl = CFGCTRL_RESET;
    this.cfgstat = 0;
    this.dll = DLL_RESET;
    this.oscclk.splice(0, this.oscclk.length, ...this.options.oscclk);
  }

  read(offset: number, size: number): number {
    const value = this.readRegister(offset);
    if (value !== undefined) return sizeMask(value, size);
    this.ctx.unimplemented(this.name, offset, size, false);
    return 0;
  }

  write(offset: number, size: number, value: number): void {
    value >>>= 0;
    switch (offset) {
      case 0x000:
        this.cfg0 = value;
        return;
      case 0x004:
        this.cfg1 = value;
        return;
      case 0x0a4:
        this.cfgdataOut = value;
        return;
      case 0x0a8:
        return this.writeCfgctrl(value);
      case 0x100:
        this.dll = ((this.dll & ~DLL_WRITABLE) | (value & DLL_WRITABLE)) >>> 0;
        return;
      default:
        this.ctx.unimplemented(this.name, offset, size, true);
    }
  }

  private readRegister(offset: number): number | undefined {
    switch (offset) {
      case 0x000:
        return this.cfg0;
      case 0x004:
        return this.cfg1;
      case 0x00c:
        return 0;
      case 0x010:
        return this.options.cfg4;
      case 0x0a0:
        return this.cfgdataRtn;
      case 0x0a4:
        return this.cfgdataOut;
      case 0x0a8:
        return this.cfgctrl;
      case 0x0ac:
        return this.cfgstat;
      case 0x100:
        return this.dll;
      case 0xff8:
        return this.options.aid;
      case 0xffc:
        return this.options.id;
      default:
        return undefined;
    }
  }

  private writeCfgctrl(value: number): void {
    this.cfgstat = 0;
    this.cfgctrl = (value & ~(CFGCTRL_RESERVED | CFGCTRL_START)) >>> 0;
    if (!(value & CFGCTRL_START)) return;
    const device = this.cfgctrl & 0xfff;
    const fn = (this.cfgctrl >>> 20) & 0x3f;
    this.cfgstat = CFGSTAT_DONE;
    if (fn !== FUNCTION_OSCCLK || device >= this.oscclk.length) {
      this.cfgstat |= CFGSTAT_ERROR;
    } else if (this.cfgctrl & CFGCTRL_WRITE) {
      this.oscclk[device] = this.cfgdataOut;
    } else {
      this.cfgdataRtn = this.oscclk[device]! >>> 0;
    }
  }
}
