/** Hand-encoded Thumb machine code for unit tests that must not need a cross compiler. */
export const T = {
  movsR0_0: [0x2000],
  addsR0_1: [0x3001],
  movwR1_0x40004000: [0xf04f, 0x2140],
  strR0_R1: [0x6008],
  ldrR0_R1: [0x6808],
  svc5: [0xdf05],
  wfi: [0xbf30],
  nop: [0xbf00],
  udf0: [0xde00],
  bkptAB: [0xbeab],
  bSelf: [0xe7fe],
  bxLr: [0x4770],
} as const;

/** Concatenates halfwords into little-endian machine code. */
export function thumb(...parts: ReadonlyArray<readonly number[]>): Buffer {
  const words = parts.flat();
  const out = Buffer.alloc(words.length * 2);
  words.forEach((w, i) => out.writeUInt16LE(w, 2 * i));
  return out;
}

export function repeat(part: readonly number[], n: number): number[] {
  return Array.from({ length: n }, () => part).flat();
}
