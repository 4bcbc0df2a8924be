#include "semihosting.h"

uint32_t semihost_call(uint32_t op, uint32_t arg)
{
    register uint32_t r0 __asm("r0") = op;
    register uint32_t r1 __asm("r1") = arg;
    /* "memory": the host may read a parameter block the caller just built. */
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sys_exit(int code)
{
    if (code == 0) {
        /* On AArch32 SYS_EXIT takes the reason code itself, not a block. */
        semihost_call(SYS_EXIT, ADP_Stopped_ApplicationExit);
    } else {
        /* SYS_EXIT_EXTENDED is the only AArch32 way to pass a status. */
        volatile uint32_t block[2] = { ADP_Stopped_ApplicationExit, (uint32_t)code };
        semihost_call(SYS_EXIT_EXTENDED, (uint32_t)block);
    }
    /* Without a semihosting host the bkpt faults or returns; park the CPU. */
    for (;;)
        __asm volatile("wfi");
}
