/* Instruction counts in IT blocks, measured by the guest itself: each loop runs n1 and then n2
 * times, SysTick (processor clock) measures both, and the difference of the two tick counts over
 * n2 - n1 is the loop's cost per iteration without the call overhead. Under hvlab's default
 * timing a tick is one instruction; under QEMU's -icount shift=0 a tick is 40 instructions
 * (1 ns per instruction, 25 MHz clock), which test/diff/icount.test.ts calibrates with the plain
 * loop. Condition-failed instructions inside IT blocks count: the core retires them.
 *
 * Per iteration: plain 6 (no IT), ite 6 (one of the two always fails), itttt 8 (all four fail),
 * itete 8 (two of four fail, alternating), itt-mixed 7 (both fail on odd iterations). */
#include "board.h"
#include "uart.h"

#define N1 20000u
#define N2 120000u

typedef void (*loop_fn)(uint32_t n);

__attribute__((noinline, naked)) static void loop_plain(uint32_t n)
{
    (void)n;
    __asm volatile("1: adds r1, r1, #1\n"
                   "   adds r2, r2, #1\n"
                   "   adds r3, r3, #1\n"
                   "   adds r1, r1, #1\n"
                   "   subs r0, r0, #1\n"
                   "   bne 1b\n"
                   "   bx lr\n");
}

__attribute__((noinline, naked)) static void loop_ite(uint32_t n)
{
    (void)n;
    __asm volatile("1: cmp r0, r0\n"
                   "   ite eq\n"
                   "   addeq r1, r1, #1\n"
                   "   addne r1, r1, #2\n"
                   "   subs r0, r0, #1\n"
                   "   bne 1b\n"
                   "   bx lr\n");
}

__attribute__((noinline, naked)) static void loop_itttt(uint32_t n)
{
    (void)n;
    __asm volatile("1: cmp r0, r0\n"
                   "   itttt ne\n"
                   "   addne r1, r1, #1\n"
                   "   addne r2, r2, #1\n"
                   "   addne r3, r3, #1\n"
                   "   addne r1, r1, #2\n"
                   "   subs r0, r0, #1\n"
                   "   bne 1b\n"
                   "   bx lr\n");
}

__attribute__((noinline, naked)) static void loop_itete(uint32_t n)
{
    (void)n;
    __asm volatile("1: tst r0, #1\n"
                   "   itete ne\n"
                   "   addne r1, r1, #1\n"
                   "   addeq r2, r2, #1\n"
                   "   addne r3, r3, #1\n"
                   "   addeq r1, r1, #2\n"
                   "   subs r0, r0, #1\n"
                   "   bne 1b\n"
                   "   bx lr\n");
}

__attribute__((noinline, naked)) static void loop_itt_mixed(uint32_t n)
{
    (void)n;
    __asm volatile("1: tst r0, #1\n"
                   "   itt eq\n"
                   "   addeq r1, r1, #1\n"
                   "   addeq r2, r2, #3\n"
                   "   mov r3, r1\n"
                   "   subs r0, r0, #1\n"
                   "   bne 1b\n"
                   "   bx lr\n");
}

static uint32_t ticks(loop_fn fn, uint32_t n)
{
    SYST_CSR = 0;
    SYST_RVR = 0x00FFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_CLKSOURCE;
    uint32_t start = SYST_CVR;
    fn(n);
    uint32_t end = SYST_CVR;
    SYST_CSR = 0;
    return (start - end) & 0x00FFFFFFu;
}

static void report(const char *name, loop_fn fn)
{
    uint32_t t1 = ticks(fn, N1);
    uint32_t t2 = ticks(fn, N2);
    uart_printf("itcount: %s %u %u %u %u\n", name, N1, t1, N2, t2);
}

int main(void)
{
    uart_init();
    uart_printf("itcount: start\n");
    report("plain", loop_plain);
    report("ite", loop_ite);
    report("itttt", loop_itttt);
    report("itete", loop_itete);
    report("itt-mixed", loop_itt_mixed);
    uart_printf("itcount: done\n");
    return 0;
}
