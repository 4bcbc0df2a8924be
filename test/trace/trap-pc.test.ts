/**
 * An MMIO trap names the instruction that made the access: in the trace and the logs its PC is a
 * load or store, also for a block that had not accessed a device before and for long runs
 * (Unicorn's PC register is not kept up to date inside a block; it used to name an instruction
 * earlier in the block or the start of the next block, e.g. a `cmp` or a `movs`).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCapstone } from '../../hv/arch/armv7m/capstone.ts';
import { disassembleThumb } from '../../hv/arch/armv7m/disassembler.ts';
import { readImage } from '../../hv/core/image.ts';
import { validateSystem } from '../../hv/core/system-config.ts';
import { Session } from '../../hv/system/session.ts';
import { REPO_ROOT } from '../helpers/run-system.ts';

const IMAGE = (name: string) => join(REPO_ROOT, 'firmware', 'build', `${name}.elf`);

/** The mnemonic of the instruction at `pc` in the image's code. */
function mnemonicAt(image: ReturnType<typeof readImage>, pc: number): string {
  const segment = image.segments.find((s) => pc >= s.address && pc < s.address + s.data.length);
  if (!segment) return `(no code at 0x${pc.toString(16)})`;
  const offset = pc - segment.address;
  const [insn] = disassembleThumb(segment.data.subarray(offset, offset + 4), pc);
  return insn?.text.split(' ')[0] ?? '(undecodable)';
}

/** The distinct mnemonics at the PCs of the guest's MMIO traps over `cycles`. */
async function trapMnemonics(name: string, cycles: number, timing: 'instruction' | 'cycle'): Promise<{ traps: number; mnemonics: Set<string> }> {
  const config = validateSystem({ timing, guests: [{ name, image: IMAGE(name) }] }, 'trap-pc');
  const session = await Session.open(config, { trace: true });
  try {
    session.runUntil({ cycles });
    const image = readImage(IMAGE(name));
    const traps = session.events().filter((e) => e.kind === 'trap' && e.trap === 'mmio');
    return { traps: traps.length, mnemonics: new Set(traps.map((e) => mnemonicAt(image, (e as { pc: number }).pc))) };
  } finally {
    session.close();
  }
}

const LOAD_OR_STORE = /^(ldr|str|ldm|stm|push|pop)/;

describe('the PC of an MMIO trap', () => {
  beforeAll(() => loadCapstone());

  it.each<[string, number, 'instruction' | 'cycle']>([
    ['flood', 3_000_000, 'instruction'],
    ['flood', 3_000_000, 'cycle'],
    ['tasks', 10_000_000, 'instruction'],
    ['poke', 1_000_000, 'cycle'],
    ['exceptions', 1_000_000, 'instruction'],
  ])('is a load or store in %s (%i cycles, %s timing)', async (name, cycles, timing) => {
    const { traps, mnemonics } = await trapMnemonics(name, cycles, timing);
    expect(traps).toBeGreaterThan(50);
    for (const m of mnemonics) expect(m).toMatch(LOAD_OR_STORE);
  }, 60_000);
});
