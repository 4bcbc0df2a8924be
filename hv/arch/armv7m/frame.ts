/**
 * The exception stack frame (ARMv7-M ARM B1.5.6 PushStack / B1.5.8 PopStack): R0-R3, R12, LR,
 * return address and xPSR, followed by S0-S15 and FPSCR when the floating-point context is
 * active (CONTROL.FPCA). With CCR.STKALIGN the frame is 8-byte aligned and xPSR bit 9 records the
 * padding word. Floating-point state is stacked eagerly; lazy stacking (FPCCR.LSPEN) changes only
 * when the hardware writes those words, not their values.
 */
import { ARM_REG as R } from '../../unicorn/constants.ts';
import type { Engine } from '../../unicorn/engine.ts';
import type { RegisterBatch } from '../../unicorn/register-batch.ts';
import { CONTROL_FPCA, CONTROL_NPRIV, CONTROL_SPSEL, type CpuRegisters, FRAME_IDS, XPSR_IPSR_MASK } from './cpu-registers.ts';

const BASIC_FRAME = 0x20;
const EXTENDED_FRAME = 0x68;
const XPSR_SPREALIGN = 1 << 9;
/** EPSR IT/ICI bits, cleared on exception entry. */
const XPSR_IT_MASK = 0x0600fc00;
const RESTORE_IDS = [R.R0, R.R1, R.R2, R.R3, R.R12, R.LR, R.PC];
/** What exception entry reads: the registers it stacks, SP, CONTROL and the return address. */
const ENTRY_IDS = [...FRAME_IDS, R.PC];

export class FrameCodec {
  private readonly restoreBatch: RegisterBatch;
  private readonly entryBatch: RegisterBatch;
  private readonly entryValues = new Array<number>(ENTRY_IDS.length).fill(0);
  private readonly restoreValues = new Array<number>(RESTORE_IDS.length).fill(0);

  constructor(
    private readonly engine: Engine,
    private readonly cpu: CpuRegisters,
  ) {
    this.restoreBatch = engine.registerBatch(RESTORE_IDS);
    this.entryBatch = engine.registerBatch(ENTRY_IDS);
  }

  /**
   * Stacks the context for exception `exc` and enters handler mode. Returns the EXC_RETURN value
   * for LR, or undefined when the frame cannot be written (stacking error).
   */
  push(exc: number, stkalign: number): { excReturn: number; frame: number; extended: boolean; thread: boolean; unprivileged: boolean } | undefined {
    const [r0, r1, r2, r3, r12, lr, xpsr, sp, control, returnAddress] = this.entryBatch.read(this.entryValues);
    const handler = (xpsr! & XPSR_IPSR_MASK) !== 0;
    const usePsp = !handler && (control! & CONTROL_SPSEL) !== 0;
    const fpca = (control! & CONTROL_FPCA) !== 0;
    const size = fpca ? EXTENDED_FRAME : BASIC_FRAME;
    const align = stkalign ? (sp! >>> 2) & 1 : 0;
    const frame = ((sp! - size) & ~(align << 2)) >>> 0;
    const words = [r0!, r1!, r2!, r3!, r12!, lr!, returnAddress!, (xpsr! & ~XPSR_SPREALIGN) | (align ? XPSR_SPREALIGN : 0)];
    if (fpca) words.push(...this.cpu.fpFrameBatch.read(), 0);
    if (!this.engine.tryWriteMemory(frame, wordsToBytes(words))) return undefined;
    const banks = this.cpu.stackPointers();
    const msp = usePsp ? banks.msp : frame;
    const psp = usePsp ? frame : banks.psp;
    // Handler mode runs on MSP with SPSEL and FPCA clear (ARMv7-M ExceptionTaken()).
    this.cpu.setProcessorState(exc, xpsr! & ~XPSR_IT_MASK, control! & ~(CONTROL_SPSEL | CONTROL_FPCA), msp, psp);
    const excReturn = (0xffffffe1 | (fpca ? 0 : 0x10) | (handler ? 0 : 0x8) | (usePsp ? 0x4 : 0)) >>> 0;
    const unprivileged = !handler && (control! & CONTROL_NPRIV) !== 0;
    return { excReturn, frame, extended: fpca, thread: !handler, unprivileged };
  }

  /** Unstacks the frame EXC_RETURN names and returns to the mode it names; false on a bus error. */
  pop(excReturn: number, stkalign: number): boolean {
    const toThread = (excReturn & 0x8) !== 0;
    const usePsp = (excReturn & 0xf) === 0xd;
    const extended = (excReturn & 0x10) === 0;
    // CONTROL as it was before the frame's registers are restored (they do not include it).
    const banks = this.cpu.bankedState();
    const frame = usePsp ? banks.psp : banks.msp;
    const size = extended ? EXTENDED_FRAME : BASIC_FRAME;
    const bytes = this.engine.tryReadMemory(frame, size);
    if (!bytes) return false;
    const words = bytesToWords(bytes);
    const xpsr = words[7]!;
    const realign = stkalign && (xpsr & XPSR_SPREALIGN) !== 0 ? 4 : 0;
    const sp = (frame + size + realign) >>> 0;
    const restore = this.restoreValues;
    for (let i = 0; i < 6; i++) restore[i] = words[i]!;
    restore[6] = words[6]! & ~1;
    this.restoreBatch.write(restore);
    if (extended) this.cpu.fpFrameBatch.write(words.slice(8, 25));
    const oldControl = banks.control;
    const control = (oldControl & ~(CONTROL_FPCA | CONTROL_SPSEL)) | (extended ? CONTROL_FPCA : 0) | (usePsp ? CONTROL_SPSEL : 0);
    const msp = usePsp ? banks.msp : sp;
    const psp = usePsp ? sp : banks.psp;
    const restored = xpsr & ~XPSR_SPREALIGN;
    this.cpu.setProcessorState(toThread ? 0 : restored & XPSR_IPSR_MASK, restored, control, msp, psp);
    return true;
  }
}

function wordsToBytes(words: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(words.length * 4); // every byte is written below
  for (let i = 0; i < words.length; i++) out.writeUInt32LE(words[i]! >>> 0, 4 * i);
  return out;
}

function bytesToWords(bytes: Buffer): number[] {
  const words: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) words.push(bytes.readUInt32LE(i));
  return words;
}
