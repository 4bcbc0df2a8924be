/* Vector table and reset code for mps2-an386.
 * Build with -DBARE_VECTORS for guests that must have no handlers at all:
 * every entry except the initial SP and Reset is 0, so a fault is not
 * caught by the guest and the host sees it. */
#include <stdint.h>
#include "board.h"
#include "semihosting.h"
#include "libc.h"

extern uint32_t _sidata[], _sdata[], _edata[], _sbss[], _ebss[], _stack_top[];
int main(void);
void Reset_Handler(void);

#ifndef BARE_VECTORS
void Default_Handler(void);
#define WEAK_ALIAS(name) void name(void) __attribute__((weak, alias("Default_Handler")))
WEAK_ALIAS(NMI_Handler);
WEAK_ALIAS(HardFault_Handler);
WEAK_ALIAS(MemManage_Handler);
WEAK_ALIAS(BusFault_Handler);
WEAK_ALIAS(UsageFault_Handler);
WEAK_ALIAS(SVC_Handler);
WEAK_ALIAS(DebugMon_Handler);
WEAK_ALIAS(PendSV_Handler);
WEAK_ALIAS(SysTick_Handler);
WEAK_ALIAS(IRQ0_Handler);  WEAK_ALIAS(IRQ1_Handler);  WEAK_ALIAS(IRQ2_Handler);
WEAK_ALIAS(IRQ3_Handler);  WEAK_ALIAS(IRQ4_Handler);  WEAK_ALIAS(IRQ5_Handler);
WEAK_ALIAS(IRQ6_Handler);  WEAK_ALIAS(IRQ7_Handler);  WEAK_ALIAS(IRQ8_Handler);
WEAK_ALIAS(IRQ9_Handler);  WEAK_ALIAS(IRQ10_Handler); WEAK_ALIAS(IRQ11_Handler);
WEAK_ALIAS(IRQ12_Handler); WEAK_ALIAS(IRQ13_Handler); WEAK_ALIAS(IRQ14_Handler);
WEAK_ALIAS(IRQ15_Handler); WEAK_ALIAS(IRQ16_Handler); WEAK_ALIAS(IRQ17_Handler);
WEAK_ALIAS(IRQ18_Handler); WEAK_ALIAS(IRQ19_Handler); WEAK_ALIAS(IRQ20_Handler);
WEAK_ALIAS(IRQ21_Handler); WEAK_ALIAS(IRQ22_Handler); WEAK_ALIAS(IRQ23_Handler);
WEAK_ALIAS(IRQ24_Handler); WEAK_ALIAS(IRQ25_Handler); WEAK_ALIAS(IRQ26_Handler);
WEAK_ALIAS(IRQ27_Handler); WEAK_ALIAS(IRQ28_Handler); WEAK_ALIAS(IRQ29_Handler);
WEAK_ALIAS(IRQ30_Handler); WEAK_ALIAS(IRQ31_Handler);
#define H(name) name
#else
#define H(name) 0
#endif

typedef void (*vector_t)(void);

__attribute__((section(".vectors"), used))
const vector_t __vectors[16 + NUM_IRQS] = {
    (vector_t)_stack_top,
    Reset_Handler,
    H(NMI_Handler),
    H(HardFault_Handler),
    H(MemManage_Handler),
    H(BusFault_Handler),
    H(UsageFault_Handler),
    0, 0, 0, 0,
    H(SVC_Handler),
    H(DebugMon_Handler),
    0,
    H(PendSV_Handler),
    H(SysTick_Handler),
    H(IRQ0_Handler),  H(IRQ1_Handler),  H(IRQ2_Handler),  H(IRQ3_Handler),
    H(IRQ4_Handler),  H(IRQ5_Handler),  H(IRQ6_Handler),  H(IRQ7_Handler),
    H(IRQ8_Handler),  H(IRQ9_Handler),  H(IRQ10_Handler), H(IRQ11_Handler),
    H(IRQ12_Handler), H(IRQ13_Handler), H(IRQ14_Handler), H(IRQ15_Handler),
    H(IRQ16_Handler), H(IRQ17_Handler), H(IRQ18_Handler), H(IRQ19_Handler),
    H(IRQ20_Handler), H(IRQ21_Handler), H(IRQ22_Handler), H(IRQ23_Handler),
    H(IRQ24_Handler), H(IRQ25_Handler), H(IRQ26_Handler), H(IRQ27_Handler),
    H(IRQ28_Handler), H(IRQ29_Handler), H(IRQ30_Handler), H(IRQ31_Handler),
};

#ifndef BARE_VECTORS
/* Silent on purpose: an unexpected exception must not garble the UART
 * output that tests compare; a debugger or the host sees where it spins. */
void Default_Handler(void)
{
    for (;;)
        ;
}
#endif

void Reset_Handler(void)
{
#if defined(__ARM_FP)
    /* Hard-float code may touch FP registers anywhere, even in prologues. */
    SCB_CPACR |= CPACR_CP10_CP11_FULL;
    __DSB();
    __ISB();
#endif
    memcpy(_sdata, _sidata, (uint32_t)_edata - (uint32_t)_sdata);
    memset(_sbss, 0, (uint32_t)_ebss - (uint32_t)_sbss);
    sys_exit(main());
}
