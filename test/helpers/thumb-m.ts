/**
 * Hand-encoded Thumb-2 sequences shared by the Cortex-M tests (checked with arm-none-eabi-as and
 * objdump), and the addresses of the system registers they touch.
 */

/** Semihosting SYS_EXIT(ADP_Stopped_ApplicationExit): the guest halts with exit code 0. */
export const HALT: readonly number[] = [
  0x2018, //         movs r0, #0x18        (SYS_EXIT)
  0xf240, 0x0126, // movw r1, #0x26
  0xf2c0, 0x0102, // movt r1, #2           (r1 = 0x20026)
  0xbeab, //         bkpt 0xab
  0xe7fe, //         b .
];

/** movw r0, #0xE100; movt r0, #0xE000 → r0 = NVIC_ISER0. */
export const R0_ISER0: readonly number[] = [0xf24e, 0x1000, 0xf2ce, 0x0000];
/** movw r0, #0xED04; movt r0, #0xE000 → r0 = ICSR. */
export const R0_ICSR: readonly number[] = [0xf64e, 0x5004, 0xf2ce, 0x0000];
/** movw r0, #0xED14; movt r0, #0xE000 → r0 = CCR. */
export const R0_CCR: readonly number[] = [0xf64e, 0x5014, 0xf2ce, 0x0000];

export const REG = {
  ICSR: 0xe000ed04,
  VTOR: 0xe000ed08,
  AIRCR: 0xe000ed0c,
  CCR: 0xe000ed14,
  SHPR1: 0xe000ed18,
  SHPR2: 0xe000ed1c,
  SHPR3: 0xe000ed20,
  SHCSR: 0xe000ed24,
  CFSR: 0xe000ed28,
  HFSR: 0xe000ed2c,
  MMFAR: 0xe000ed34,
  BFAR: 0xe000ed38,
  ISER0: 0xe000e100,
  ISPR0: 0xe000e200,
  IPR0: 0xe000e400,
} as const;

export const SHCSR_MEMFAULTENA = 1 << 16;
export const SHCSR_BUSFAULTENA = 1 << 17;
export const SHCSR_USGFAULTENA = 1 << 18;
