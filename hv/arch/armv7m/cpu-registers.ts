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
  readonly fpFrameBatch: RegisterBatch;
  private readonly branchBatch: RegisterBatch;
  private readonly branchValues = [0, 0];
  private readonly masks = [0, 0, 0];
  /** The engine's register epoch when `masks` was read (the scheduler asks a sleeping vCPU often). */
  private masksEpoch = Number.NaN;
  /** MSP, PSP, CONTROL from the engine's one-call sequence. */
  private readonly banks = new Uint32Array(3);

  constructor(readonly engine: Engine) {
    this.snapshotBatch = engine.registerBatch(SNAPSHOT_IDS);
    this.maskBatch = engine.registerBatch(MASK_IDS);
    this.branchBatch = engine.registerBatch([R.LR, R.PC]);
    this.fpFrameBatch = engine.registerBatch(FP_FRAME_IDS);
  }

  read(id: number): number {
    return this.engine.readRegister(id);
  }

  write(id: number, value: number): void {
    this.engine.writeRegister(id, value);
  }

  /** Writes LR, then PC, in one host call (exception entry). */
  writeLrPc(lr: number, pc: number): void {
    this.branchValues[0] = lr;
    this.branchValues[1] = pc;
    this.branchBatch.write(this.branchValues);
  }

  ipsr(): number {
    return this.engine.readRegister(R.XPSR) & XPSR_IPSR_MASK;
  }

  readMasks(): { primask: number; faultmask: number; basepri: number } {
    const epoch = this.engine.registerEpoch;
    if (epoch !== this.masksEpoch) {
      this.maskBatch.read(this.masks);
      this.masksEpoch = epoch;
    }
    const [primask, faultmask, basepri] = this.masks;
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
    const { msp, psp } = this.bankedState();
    return { msp, psp };
  }

  /**
   * Both banked stack pointers (read privileged, as privileged() would) and CONTROL, in one host
   * call.
   */
  bankedState(): { msp: number; psp: number; control: number } {
    this.engine.mProfileStackPointers(this.banks);
    return { msp: this.banks[0]!, psp: this.banks[1]!, control: this.banks[2]! };
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
    // In one host call, register for register: current = XPSR; XPSR = current with IPSR at least
    // 1; CONTROL &= ~nPRIV; XPSR = current in thread mode; CONTROL = control & ~nPRIV; MSP; PSP;
    // XPSR = xpsr | T | ipsr; CONTROL = control if nPRIV; rebuildFlags().
    this.engine.setMProfileState(ipsr, xpsr, control, msp, psp);
  }
}
