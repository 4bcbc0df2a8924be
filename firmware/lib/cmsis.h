/* CMSIS-style core register intrinsics. The "memory" clobbers stop the
 * compiler from moving loads/stores across mask changes and barriers. */
#ifndef CMSIS_H
#define CMSIS_H

#include <stdint.h>

#define __STATIC_FORCEINLINE static inline __attribute__((always_inline))

__STATIC_FORCEINLINE void __enable_irq(void)  { __asm volatile("cpsie i" ::: "memory"); }
__STATIC_FORCEINLINE void __disable_irq(void) { __asm volatile("cpsid i" ::: "memory"); }
__STATIC_FORCEINLINE void __enable_fault_irq(void)  { __asm volatile("cpsie f" ::: "memory"); }
__STATIC_FORCEINLINE void __disable_fault_irq(void) { __asm volatile("cpsid f" ::: "memory"); }

__STATIC_FORCEINLINE void __WFI(void) { __asm volatile("wfi" ::: "memory"); }
__STATIC_FORCEINLINE void __WFE(void) { __asm volatile("wfe" ::: "memory"); }
__STATIC_FORCEINLINE void __SEV(void) { __asm volatile("sev" ::: "memory"); }
__STATIC_FORCEINLINE void __NOP(void) { __asm volatile("nop"); }
__STATIC_FORCEINLINE void __DSB(void) { __asm volatile("dsb 0xF" ::: "memory"); }
__STATIC_FORCEINLINE void __ISB(void) { __asm volatile("isb 0xF" ::: "memory"); }
__STATIC_FORCEINLINE void __DMB(void) { __asm volatile("dmb 0xF" ::: "memory"); }

#define CMSIS_MRS(name, reg) \
    __STATIC_FORCEINLINE uint32_t name(void) \
    { uint32_t r; __asm volatile("mrs %0, " reg : "=r"(r) :: "memory"); return r; }
#define CMSIS_MSR(name, reg) \
    __STATIC_FORCEINLINE void name(uint32_t v) \
    { __asm volatile("msr " reg ", %0" :: "r"(v) : "memory"); }

CMSIS_MRS(__get_CONTROL, "control")
CMSIS_MRS(__get_PSP, "psp")
CMSIS_MRS(__get_MSP, "msp")
CMSIS_MRS(__get_PRIMASK, "primask")
CMSIS_MRS(__get_BASEPRI, "basepri")
CMSIS_MRS(__get_FAULTMASK, "faultmask")
CMSIS_MRS(__get_IPSR, "ipsr")
CMSIS_MRS(__get_xPSR, "xpsr")
CMSIS_MRS(__get_APSR, "apsr")
CMSIS_MSR(__set_PSP, "psp")
CMSIS_MSR(__set_MSP, "msp")
CMSIS_MSR(__set_PRIMASK, "primask")
CMSIS_MSR(__set_BASEPRI, "basepri")
CMSIS_MSR(__set_BASEPRI_MAX, "basepri_max")
CMSIS_MSR(__set_FAULTMASK, "faultmask")

/* An ISB must follow a CONTROL write before code relies on the new SP/privilege. */
__STATIC_FORCEINLINE void __set_CONTROL(uint32_t v)
{
    __asm volatile("msr control, %0\n\tisb 0xF" :: "r"(v) : "memory");
}

__STATIC_FORCEINLINE uint32_t __get_SP(void)
{
    uint32_t r;
    __asm volatile("mov %0, sp" : "=r"(r));
    return r;
}

#if defined(__ARM_FP)
__STATIC_FORCEINLINE uint32_t __get_FPSCR(void)
{ uint32_t r; __asm volatile("vmrs %0, fpscr" : "=r"(r) :: "memory"); return r; }
__STATIC_FORCEINLINE void __set_FPSCR(uint32_t v)
{ __asm volatile("vmsr fpscr, %0" :: "r"(v) : "memory"); }
#endif

#endif
