/**
 * The baseline of the guest-MIPS benchmark: the same firmware image in a bare Unicorn loop —
 * memory mapped, segments loaded, SP/PC from the vector table, and uc_emu_start with a count of
 * one slice at a time. No hypervisor: no exceptions, no devices beyond a UART that swallows
 * output, no accounting.
 */
import { readImage } from '../hv/core/image.ts';
import { ARM_REG, UC_PROT } from '../hv/unicorn/constants.ts';
import { Engine } from '../hv/unicorn/engine.ts';

export interface BareResult {
  instructions: number;
  seconds: number;
}

export function runBare(imageFile: string, instructions: number, slice: number): BareResult {
  const image = readImage(imageFile);
  const engine = Engine.open({ counter: false });
  try {
    engine.mapMemory(0x00000000, 4 << 20, UC_PROT.ALL);
    engine.mapMemory(0x20000000, 4 << 20, UC_PROT.ALL);
    engine.mapMmio(0x40000000, 0x10000, () => 0, () => {});
    for (const s of image.segments) engine.writeMemory(s.address, s.data);
    const table = engine.readMemory(image.vectorTable, 8);
    engine.writeRegister(ARM_REG.SP, table.readUInt32LE(0));
    let pc = table.readUInt32LE(4) & ~1;
    const started = process.hrtime.bigint();
    for (let done = 0; done < instructions; done += slice) {
      engine.run(pc | 1, slice);
      pc = engine.readRegister(ARM_REG.PC);
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { instructions: Math.ceil(instructions / slice) * slice, seconds };
  } finally {
    engine.close();
  }
}
