/* The driver VM's vector table (at HV_WINDOW_BASE) and reset code. The image is loaded where it
 * runs (no .data copy); the loader zero-fills .bss, but a reset without a reload leaves it as
 * it was, so Reset_Handler zeroes .bss only when `pristine` no longer holds its load-time
 * value. Nothing else in .data is ever written. */
#include <stdint.h>
#include "driver.h"
#include "board.h"
#include "libc.h"

#define PRISTINE 0x50524953u   /* "PRIS" */

extern uint32_t _sbss[], _ebss[];
void Reset_Handler(void) __attribute__((noreturn));
void Default_Handler(void);

static volatile uint32_t pristine = PRISTINE;

typedef void (*vector_t)(void);

#define D Default_Handler
__attribute__((section(".vectors"), used))
const vector_t __vectors[16 + NUM_IRQS] = {
    (vector_t)(hv_main_stack + MAIN_STACK_SIZE),
    Reset_Handler,
    D, D, D, D, D,          /* NMI, HardFault, MemManage, BusFault, UsageFault */
    0, 0, 0, 0,
    D, D, 0, D, D,          /* SVCall (the hypervisor takes the svc), DebugMon, -, PendSV, SysTick */
    D, D, D, D, D, D, D, D, D, D, D, D, D, D, D, D,   /* IRQ 0-15 */
    D, D, D, D, D, D, D, D, D,                        /* IRQ 16-24 */
    evtchn_irq_handler,     /* IRQ 25 = HV_EVTCHN_IRQ */
    blkctl_irq_handler,     /* IRQ 26 = HV_BLKCTL_IRQ */
    D, D, D, D, D,          /* IRQ 27-31 */
};
_Static_assert(HV_EVTCHN_IRQ == 25 && HV_BLKCTL_IRQ == 26, "vector table slots");

/* An unexpected exception: stop quietly (the hypervisor sees where). */
void Default_Handler(void)
{
    for (;;)
        __WFI();
}

void Reset_Handler(void)
{
    SCB_VTOR = (uint32_t)__vectors;
    if (pristine != PRISTINE)
        memset(_sbss, 0, (uint32_t)_ebss - (uint32_t)_sbss);
    pristine = 0;
    __DSB();
    driver_main();
}
