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
import { RegisterMap } from './regmap.ts';

/** Register offsets (AN385/AN386, with QEMU's names). CFG2, CFG5 and CFG6 are bad offsets here. */
export const SCC_REG = {
  CFG0: 0x000,
  CFG1: 0x004,
  CFG2: 0x008,
  CFG3: 0x00c,
  CFG4: 0x010,
  CFG5: 0x014,
  CFG6: 0x018,
  SYS_CFGDATA_RTN: 0x0a0,
  SYS_CFGDATA_OUT: 0x0a4,
  SYS_CFGCTRL: 0x0a8,
  SYS_CFGSTAT: 0x0ac,
  DLL: 0x100,
  AID: 0xff8,
  ID: 0xffc,
} as const;

/** The registers the SCC has on every board QEMU recognises (see the note on CFG2/5/6 above). */
type SccRegister = Exclude<keyof typeof SCC_REG, 'CFG2' | 'CFG5' | 'CFG6'>;

const CFGCTRL_RESET = 0x00100000;
const CFGCTRL_RESERVED = (0xff << 12) | (0xf << 26);
const CFGCTRL_WRITE = 1 << 30;
const CFGCTRL_START = 1 << 31;
const CFGSTAT_DONE = 1 << 0;
const CFGSTAT_ERROR = 1 << 1;
const FUNCTION_OSCCLK = 1;
const DLL_RESET = 0xffff0001;
const DLL_WRITABLE = 0xff000000;
const ALL = 0xffffffff;

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
  private readonly regs: RegisterMap<SccRegister>;
  private readonly reg: Record<SccRegister, number>;
  private readonly oscclk: number[];

  constructor(
    readonly name: string,
    ctx: DeviceContext,
    private readonly options: Mps2SccOptions,
  ) {
    this.oscclk = [...options.oscclk];
    this.regs = new RegisterMap(name, ctx, [
      { offset: SCC_REG.CFG0, name: 'CFG0', reset: 0, writable: ALL },
      { offset: SCC_REG.CFG1, name: 'CFG1', reset: 0, writable: ALL },
      { offset: SCC_REG.CFG3, name: 'CFG3', reset: 0 },
      { offset: SCC_REG.CFG4, name: 'CFG4', read: () => options.cfg4 },
      { offset: SCC_REG.SYS_CFGDATA_RTN, name: 'SYS_CFGDATA_RTN', reset: 0 },
      { offset: SCC_REG.SYS_CFGDATA_OUT, name: 'SYS_CFGDATA_OUT', reset: 0, writable: ALL },
      { offset: SCC_REG.SYS_CFGCTRL, name: 'SYS_CFGCTRL', reset: CFGCTRL_RESET, write: (v) => this.writeCfgctrl(v) },
      { offset: SCC_REG.SYS_CFGSTAT, name: 'SYS_CFGSTAT', reset: 0 },
      { offset: SCC_REG.DLL, name: 'DLL', reset: DLL_RESET, writable: DLL_WRITABLE },
      { offset: SCC_REG.AID, name: 'AID', read: () => options.aid },
      { offset: SCC_REG.ID, name: 'ID', read: () => options.id },
    ]);
    this.reg = this.regs.values;
  }

  reset(): void {
    this.regs.reset();
    this.oscclk.splice(0, this.oscclk.length, ...this.options.oscclk);
  }

  read(offset: number, size: number): number {
    return sizeMask(this.regs.read(offset, size), size);
  }

  saveState(): { regs: Record<SccRegister, number>; oscclk: number[] } {
    return { regs: this.regs.saveValues(), oscclk: [...this.oscclk] };
  }

  restoreState(state: unknown): void {
    const s = state as ReturnType<Mps2Scc['saveState']>;
    this.regs.restoreValues(s.regs);
    this.oscclk.splice(0, this.oscclk.length, ...s.oscclk);
  }

  write(offset: number, size: number, value: number): void {
    this.regs.write(offset, size, value >>> 0);
  }

  /** A SYS_CFG transfer: instantaneous, and only OSCCLK reads and writes succeed. */
  private writeCfgctrl(value: number): void {
    const r = this.reg;
    r.SYS_CFGSTAT = 0;
    r.SYS_CFGCTRL = (value & ~(CFGCTRL_RESERVED | CFGCTRL_START)) >>> 0;
    if (!(value & CFGCTRL_START)) return;
    const device = r.SYS_CFGCTRL & 0xfff;
    const fn = (r.SYS_CFGCTRL >>> 20) & 0x3f;
    r.SYS_CFGSTAT = CFGSTAT_DONE;
    if (fn !== FUNCTION_OSCCLK || device >= this.oscclk.length) {
      r.SYS_CFGSTAT |= CFGSTAT_ERROR;
    } else if (r.SYS_CFGCTRL & CFGCTRL_WRITE) {
      this.oscclk[device] = r.SYS_CFGDATA_OUT;
    } else {
      r.SYS_CFGDATA_RTN = this.oscclk[device]! >>> 0;
    }
  }
}
