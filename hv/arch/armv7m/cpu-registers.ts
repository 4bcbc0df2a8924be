/**
 * Register access for the Cortex-M vCPU on top of Unicorn 2.0.1, with the workarounds that its
 * M-profile support needs:
 *  - writing IPSR/XPSR/CONTROL does not rebuild QEMU's cached translation flags (handler mode,
 *    privilege); writing APSR_NZCV back does, so every mode change ends with {@link rebuildFlags};
 *  - while the guest runs unprivileged, the host's reads of MSP/PSP return 0 and writes to
 *    PRIMASK/BASEPRI/FAULTMASK/CONTROL are ignored, so those go through {@link privileged};
 *  - CONTROL.SPSEL cannot be changed in handler mode, so {@link enterThreadMode} switches mode
 *    first and sets CONTROL afterwards.
 */
import { ARM_REG as R } from '../../unicorn/constants.ts';
import type { Engine } from '../../unicorn/engine.ts';
import type { RegisterBatch } from '../../unicorn/register-batch.ts';

export const CONTROL_NPRIV = 1;
export const CONTROL_SPSEL = 2;
export const CONTROL_FPCA = 4;
export const XPSR_THUMB = 1 << 24;
export const XPSR_IPSR_MASK = 0x1ff;

/** Registers of a fault report or a debugger view. */
export interface CoreRegisters {
  r: number[];
  sp: number;
  lr: number;
  pc: number;
  xpsr: number;
  msp: number;
  psp: number;
  control: number;
  primask: number;
  basepri: number;
  faultmask: number;
}

const GPR_IDS = [R.R0, R.R1, R.R2, R.R3, R.R4, R.R5, R.R6, R.R7, R.R8, R.R9, R.R10, R.R11, R.R12];
const SNAPSHOT_IDS = [...GPR_IDS, R.SP, R.LR, R.PC, R.XPSR, R.CONTROL, R.PRIMASK, R.BASEPRI, R.FAULTMASK];
const MASK_IDS = [R.PRIMASK, R.FAULTMASK, R.BASEPRI];
/** Registers stacked by exception entry (with SP, XPSR and CONTROL to decide how). */
export const FRAME_IDS = [R.R0, R.R1, R.R2, R.R3, R.R12, R.LR, R.XPSR, R.SP, R.CONTROL];
/** Floating-point registers of the extended frame: S0-S15 and FPSCR. */
export const FP_FRAME_IDS = [...Array.from({ length: 16 }, (_, i) => R.S0 + i), R.FPSCR];

export class CpuRegisters {
  readonly snapshotBatch: RegisterBatch;
  readonly maskBatch: RegisterBatch;
  readonly frameBatch: RegisterBatch;
  readonly fpFrameBatch: RegisterBatch;
  private readonly masks = [0, 0, 0];

  constructor(readonly engine: Engine) {
    this.snapshotBatch = engine.registerBatch(SNAPSHOT_IDS);
    this.maskBatch = engine.registerBatch(MASK_IDS);
    this.frameBatch = engine.registerBatch(FRAME_IDS);
    this.fpFrameBatch = engine.registerBatch(FP_FRAME_IDS);
  }

  read(id: number): number {
    return this.engine.readRegister(id);
  }

  write(id: number, value: number): void {
    this.engine.writeRegister(id, value);
  }

  ipsr(): number {
    return this.engine.readRegister(R.XPSR) & XPSR_IPSR_MASK;
  }

  readMasks(): { primask: number; faultmask: number; basepri: number } {
    const [primask, faultmask, basepri] = this.maskBatch.read(this.masks);
    return { primask: primask!, faultmask: faultmask!, basepri: basepri! };
  }

  /** Makes QEMU recompute its cached mode/privilege flags after a host-side mode change. */
  rebuildFlags(): void {
    this.engine.writeRegister(R.APSR_NZCV, this.engine.readRegister(R.APSR_NZCV));
  }

  /** Runs `fn` with the CPU privileged (temporarily in handler mode when the guest is not). */
  privileged<T>(fn: () => T): T {
    const xpsr = this.engine.readRegister(R.XPSR);
    const control = this.engine.readRegister(R.CONTROL);
    const unprivilegedThread = (xpsr & XPSR_IPSR_MASK) === 0 && (control & CONTROL_NPRIV) !== 0;
    if (!unprivilegedThread) return fn();
    this.engine.writeRegister(R.XPSR, xpsr | 1);
    try {
      return fn();
    } finally {
      this.engine.writeRegister(R.XPSR, xpsr);
      this.rebuildFlags();
    }
  }

  /** Both banked stack pointers, whatever the current mode and privilege. */
  stackPointers(): { msp: number; psp: number } {
    return this.privileged(() => ({ msp: this.read(R.MSP), psp: this.read(R.PSP) }));
  }

  /** Every core register, for fault reports. */
  snapshot(): CoreRegisters {
    const v = this.snapshotBatch.read();
    const { msp, psp } = this.stackPointers();
    return {
      r: v.slice(0, 13),
      sp: v[13]!,
      lr: v[14]!,
      pc: v[15]!,
      xpsr: v[16]!,
      msp,
      psp,
      control: v[17]!,
      primask: v[18]!,
      basepri: v[19]!,
      faultmask: v[20]!,
    };
  }

  /**
   * Puts the CPU in a new mode and stack state in one go, whatever the current mode and
   * privilege: IPSR (0 = thread mode), CONTROL (SPSEL, nPRIV, FPCA), both banked stack pointers
   * and the APSR/EPSR bits of `xpsr`. Unicorn applies CONTROL.SPSEL only in privileged thread
   * mode, so the CPU passes through it before settling in the target mode.
   */
  setProcessorState(ipsr: number, xpsr: number, control: number, msp: number, psp: number): void {
    const e = this.engine;
    const current = e.readRegister(R.XPSR);
    e.writeRegister(R.XPSR, (current & ~XPSR_IPSR_MASK) | (current & XPSR_IPSR_MASK || 1));
    e.writeRegister(R.CONTROL, e.readRegister(R.CONTROL) & ~CONTROL_NPRIV);
    e.writeRegister(R.XPSR, current & ~XPSR_IPSR_MASK);
    e.writeRegister(R.CONTROL, control & ~CONTROL_NPRIV);
    e.writeRegister(R.MSP, msp);
    e.writeRegister(R.PSP, psp);
    e.writeRegister(R.XPSR, (xpsr & ~XPSR_IPSR_MASK) | XPSR_THUMB | (ipsr & XPSR_IPSR_MASK));
    if (control & CONTROL_NPRIV) e.writeRegister(R.CONTROL, control);
    this.rebuildFlags();
  }
}
