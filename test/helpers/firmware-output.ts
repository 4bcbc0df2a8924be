/**
 * What the prebuilt images print, as documented in firmware/README.md ("Images and expected
 * output"). UART lines, without their newline.
 */

export const HELLO_OUTPUT = ['hello: booted', 'hello: sum(1..100) = 5050', 'hello: done'];

export const EXCEPTION_CHECKS = [
  'svc-args',
  'priority-order',
  'preemption',
  'basepri',
  'faultmask',
  'primask',
  'escalation',
  'usagefault-enabled',
  'busfault-precise',
  'divzero',
  'psp-thread',
  'unprivileged',
  'exc-return-variants',
  'vtor',
  'icsr',
  'systick-countflag',
  'wfi-wakes',
  'nvic-regs',
  'stacking-align',
];

export const EXCEPTIONS_OUTPUT = ['exceptions: start', ...EXCEPTION_CHECKS.map((c) => `PASS ${c}`), 'exceptions: done'];

export const FPU_CHECKS = ['fpu-enabled', 'lazy-msp', 'lazy-psp', 'immediate-msp', 'immediate-psp', 'no-fp-context', 'nested'];

export const FPU_OUTPUT = ['fpu: start', ...FPU_CHECKS.map((c) => `PASS ${c}`), 'fpu: done'];

export const COMPUTE_CHECKSUMS = [
  0x56bcc206, 0x5b22409d, 0xed8d7b60, 0xb42902c8, 0x7c392d8c, 0x88033281, 0xbc1c9964, 0x5ae45cb0, 0xdb86dc55, 0x0129b158,
  0x6c3ecf4e, 0xd441c205, 0x0c3eb7a4, 0x5c37a992, 0x0eaeeabc, 0x54353b1e, 0x17e4e878, 0x5cd10b2d, 0xd447278c, 0x8b14a93b,
];

export const COMPUTE_OUTPUT = [
  'compute: start',
  ...COMPUTE_CHECKSUMS.map((sum, i) => `compute: round ${i + 1} checksum 0x${sum.toString(16).padStart(8, '0')}`),
  'compute: done',
];

/** `task X: step 1` .. `task X: step 10`. */
export function taskSteps(task: 'A' | 'B'): string[] {
  return Array.from({ length: 10 }, (_, i) => `task ${task}: step ${i + 1}`);
}

/** The lines of one task, in the order printed. */
export function linesOfTask(lines: readonly string[], task: 'A' | 'B'): string[] {
  return lines.filter((l) => l.startsWith(`task ${task}:`));
}

/** `scan: 0x20000000 ok` .. `scan: 0x23f00000 ok`: one line per MiB until 0x24000000 faults. */
export const SCAN_OUTPUT = [
  'scan: start',
  ...Array.from({ length: 64 }, (_, i) => `scan: 0x${(0x20000000 + i * 0x100000).toString(16)} ok`),
];

export const STOMP_OUTPUT = ['stomp: start', 'stomp: pattern written up to 0x20100000, writing 0x24000000'];

/** stomp/main.c writes STOMP_PATTERN ^ address to each word of [_ram_free_start, STOMP_END). */
export const STOMP_PATTERN = 0xdeadbeef;
export const STOMP_END = 0x20100000;

/** The 26-letter cycle flood writes after its first line, `length` characters of it. */
export function floodLetters(length: number): string {
  return Array.from({ length }, (_, i) => String.fromCharCode(0x61 + (i % 26))).join('');
}

/** Fault status bits (ARMv7-M ARM B3.2.15, B3.2.16). */
export const CFSR = { IBUSERR: 1 << 8, PRECISERR: 1 << 9, BFARVALID: 1 << 15 } as const;
export const HFSR_FORCED = 0x40000000;

/** The core registers of a fault report, in the order the stats file lists them. */
export const REGISTER_NAMES: readonly string[] = [
  ...Array.from({ length: 13 }, (_, i) => `r${i}`),
  'sp',
  'lr',
  'pc',
  'xpsr',
  'msp',
  'psp',
  'control',
  'primask',
  'basepri',
  'faultmask',
];
