/**
 * Hand-encoded Thumb-2 sequences shared by the Cortex-M tests (checked with arm-none-eabi-as and
 * objdump), and the addresses of the system registers they touch.
 */
import { NVIC_REG } from '../../hv/arch/armv7m/nvic-registers.ts';
import { SCB_REG } from '../../hv/arch/armv7m/scb-registers.ts';
import { PPB_BASE, PPB_OFFSET, SCS_SYSTICK } from '../../hv/arch/armv7m/system-space.ts';
import { SYSTICK_REG } from '../../hv/arch/armv7m/systick.ts';

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

const SCS = PPB_BASE + PPB_OFFSET.SCS;

/** Absolute addresses of the system registers the tests touch. */
export const REG = {
  ICSR: SCS + SCB_REG.ICSR,
  VTOR: SCS + SCB_REG.VTOR,
  AIRCR: SCS + SCB_REG.AIRCR,
  CCR: SCS + SCB_REG.CCR,
  SHPR1: SCS + SCB_REG.SHPR1,
  SHPR2: SCS + SCB_REG.SHPR2,
  SHPR3: SCS + SCB_REG.SHPR3,
  SHCSR: SCS + SCB_REG.SHCSR,
  CFSR: SCS + SCB_REG.CFSR,
  HFSR: SCS + SCB_REG.HFSR,
  MMFAR: SCS + SCB_REG.MMFAR,
  BFAR: SCS + SCB_REG.BFAR,
  ISER0: SCS + NVIC_REG.ISER0,
  ISPR0: SCS + NVIC_REG.ISPR0,
  IPR0: SCS + NVIC_REG.IPR0,
  SYST_CSR: SCS + SCS_SYSTICK + SYSTICK_REG.CSR,
  SYST_RVR: SCS + SCS_SYSTICK + SYSTICK_REG.RVR,
} as const;

export const SHCSR_BUSFAULTENA = 1 << 17;
export const SHCSR_USGFAULTENA = 1 << 18;
