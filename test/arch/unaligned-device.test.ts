/**
 * Unaligned accesses to device memory take the UsageFault UNALIGNED (ARMv7-M A3.2.1: LDM, STM,
 * LDRD and STRD always need word alignment; an unaligned access to Device memory is UNPREDICTABLE
 * and hvlab faults it), before the device sees anything: Unicorn would split such an access into
 * aligned device accesses. A hand-assembled raw guest (encodings checked with arm-none-eabi-as)
 * enables UsageFault and TX on UART0, points r1 at UART0 + k and runs one load or store; its
 * UsageFault handler exits with (stacked PC << 16) | (CFSR >> 16). The run goes through the
 * whole hypervisor (the MMIO trap path of a VM).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validateSystem } from '../../hv/core/system-config.ts';
import { Session } from '../../hv/system/session.ts';
import { makeTempDir } from '../helpers/hv-cli.ts';
import { thumb } from '../helpers/thumb.ts';

const tmp = makeTempDir('hvlab-unaligned-');
afterAll(() => tmp.remove());

const CODE = 0x40;
/** SHCSR.USGFAULTENA; UART0 CTRL = TX enable; r2 = 'A', r3 = 'B'; r1 = 0x40004000 + k. */
const prologue = (k: number) => [
  [0xf64e, 0x5024, 0xf2ce, 0x0000], // movw/movt r0, #0xE000ED24 (SHCSR)
  [0xf44f, 0x2180, 0x6001], //         mov.w r1, #0x40000; str r1, [r0]
  [0xf244, 0x0008, 0xf2c4, 0x0000], // movw/movt r0, #0x40004008 (UART0 CTRL)
  [0x2101, 0x6001], //                 movs r1, #1; str r1, [r0]
  [0x2241, 0x2342], //                 movs r2, #'A'; movs r3, #'B'
  [0xf244, 0x0100 + k, 0xf2c4, 0x0100], // movw/movt r1, #0x40004000 + k
];
/** Semihosting SYS_EXIT (exit 0): the access went through without a fault. */
const HALT = [0x2018, 0xf240, 0x0126, 0xf2c0, 0x0102, 0xbeab, 0xe7fe];
/** SYS_EXIT_EXTENDED with (stacked PC << 16) | (CFSR >> 16). */
const HANDLER = [
  0xf64e, 0x5028, 0xf2ce, 0x0000, // movw/movt r0, #0xE000ED28 (CFSR)
  0x6803, 0x0c1b, 0x9a06, 0x0412, 0x4313, // ldr r3, [r0]; lsrs r3, #16; ldr r2, [sp, #24]; lsls r2, #16; orrs r3, r2
  0xf640, 0x0100, 0xf2c2, 0x0100, // movw/movt r1, #0x20000800
  0xf240, 0x0226, 0xf2c0, 0x0202, // movw/movt r2, #0x20026
  0x600a, 0x604b, 0x2020, 0xbeab, 0xe7fe, // str r2, [r1]; str r3, [r1, #4]; movs r0, #0x20; bkpt 0xab; b .
];
const CFSR_UNALIGNED_HI = 1 << 8;

const INSN = {
  ldrd: [0xe9d1, 0x2300], // ldrd r2, r3, [r1]
  ldm: [0xe891, 0x000c], //  ldmia.w r1, {r2, r3}
  strd: [0xe9c1, 0x2300], // strd r2, r3, [r1]
  stm: [0xe881, 0x000c], //  stmia.w r1, {r2, r3}
  ldr: [0x6808], //          ldr r0, [r1]
  ldrh: [0x8808], //         ldrh r0, [r1]
  ldrb: [0x7808], //         ldrb r0, [r1]
  str: [0x600a], //          str r2, [r1]
  strb: [0x700a], //         strb r2, [r1]
} as const;

interface Outcome {
  exitCode: number | null;
  /** What reached UART0's data register. */
  console: string[];
  /** UART0 accesses the hypervisor trapped after the prologue's (CTRL). */
  uartTraps: number;
  /** Where the instruction under test is. */
  at: number;
}

async function run(name: string, insn: readonly number[], k: number): Promise<Outcome> {
  const body = [...prologue(k).flat()];
  const at = CODE + 2 * body.length;
  const code = thumb(body, insn, HALT);
  const handler = CODE + code.length;
  const image = Buffer.alloc(handler + 2 * HANDLER.length);
  image.writeUInt32LE(0x20001000, 0);
  image.writeUInt32LE(CODE | 1, 4);
  for (const exc of [3, 6]) image.writeUInt32LE(handler | 1, 4 * exc);
  code.copy(image, CODE);
  thumb(HANDLER).copy(image, handler);
  const file = join(tmp.dir, `${name}-${k}.bin`);
  writeFileSync(file, image);
  const session = await Session.open(validateSystem({ guests: [{ name: 'g', image: file, format: 'bin' }] }, join(tmp.dir, 'u.yaml')), { trace: true });
  try {
    session.runUntil({ cycles: 1_000_000 });
    session.finish();
    const report = session.results().guests[0]!;
    const uart = session.events().filter((e) => e.kind === 'trap' && e.trap === 'mmio' && e.detail.startsWith('uart0+'));
    return { exitCode: report.exitCode, console: session.consoleLines().map((l) => l.line), uartTraps: uart.length - 1, at };
  } finally {
    session.close();
  }
}

describe('unaligned accesses to device memory', () => {
  for (const [name, k] of [['ldrd', 2], ['ldm', 1], ['strd', 2], ['stm', 1], ['ldr', 1], ['ldrh', 1], ['str', 3]] as const) {
    it(`${name} at UART0+${k}: the UsageFault UNALIGNED on the instruction, the device never accessed`, async () => {
      const r = await run(name, INSN[name], k);
      expect(r.exitCode).toBe(((r.at << 16) | CFSR_UNALIGNED_HI) >>> 0);
      expect(r.uartTraps).toBe(0);
      expect(r.console).toEqual([]);
    });
  }

  it('LDM and LDRD need word alignment even when halfword-aligned', async () => {
    for (const name of ['ldrd', 'ldm'] as const) {
      const r = await run(`${name}-half`, INSN[name], 2);
      expect(r.exitCode, name).toBe(((r.at << 16) | CFSR_UNALIGNED_HI) >>> 0);
    }
  });

  it('aligned accesses, and bytes anywhere, reach the device', async () => {
    const strd = await run('strd-aligned', INSN.strd, 0);
    expect(strd.exitCode).toBe(0);
    expect(strd.console).toEqual(['A']); // r2 to DATA, r3 to STATE (write-1-to-clear)
    for (const [name, k] of [['ldrd', 0], ['ldm', 0], ['ldr', 0], ['ldrh', 2], ['ldrb', 1], ['strb', 0]] as const) {
      const r = await run(`${name}-ok`, INSN[name], k);
      expect(r.exitCode, name).toBe(0);
      expect(r.uartTraps, name).toBeGreaterThan(0);
    }
  });

  it('code rewritten at the same address is checked as the new instruction (self-modifying code)', async () => {
    // At X: ldrb r0, [r1] with r1 = UART0+1 (a byte: fine). Then the guest rewrites X to
    // ldr r0, [r1] (needs word alignment), synchronises and branches back: the same PC, now an
    // unaligned word load, must fault. A second pass that did not fault halts with exit 0.
    const X = CODE + 2 * prologue(1).flat().length;
    const smc = [
      0x2e00, 0xd10a, //         cmp r6, #0; bne HALT (second pass)
      0x2601, //                 movs r6, #1
      0xf240, 0x0400 | X, //     movw r4, #X
      0xf646, 0x0508, //         movw r5, #0x6808 (ldr r0, [r1])
      0x8025, //                 strh r5, [r4]
      0xf3bf, 0x8f4f, 0xf3bf, 0x8f6f, // dsb; isb
      0xe7f1, //                 b X
    ];
    const r = await run('smc', [INSN.ldrb[0], ...smc], 1);
    expect(r.at).toBe(X);
    expect(r.uartTraps).toBe(1); // the byte load reached the device, the word load did not
    expect(r.exitCode).toBe(((X << 16) | CFSR_UNALIGNED_HI) >>> 0);
  });
});
