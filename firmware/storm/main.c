/* storm: a guest that makes the hypervisor work as hard as it can per virtual cycle, for the
 * per-guest budget tests (test/isolation/exception-budget.test.ts) and the bench.
 *
 * cmdline: mode=systick|pendsv|svc|mmio (default systick), reload=N (SysTick reload value,
 * default 1: an interrupt every 2 cycles), ticks=N (stop after N handler runs and print the count;
 * default 0: never stop), busy=1 (thread mode spins instead of sleeping in WFI).
 *   systick  SysTick on the processor clock with reload N, TICKINT; the handler counts.
 *   pendsv   the PendSV handler counts and pends PendSV again (software interrupt storm).
 *   svc      thread mode executes SVC in a loop; the SVCall handler counts.
 *   mmio     thread mode reads a SysTick register in a loop (a trap per load; no exceptions).
 * Prints "storm: start mode=... reload=..." and, with ticks=N, "storm: N ticks" then exits 0. */
#include "board.h"
#include "cmsis.h"
#include "semihosting.h"
#include "uart.h"
#include "libc.h"

enum mode { SYSTICK, PENDSV, SVC, MMIO };

static volatile uint32_t ticks;
static uint32_t limit;

void SysTick_Handler(void)
{
    ticks++;
}

void PendSV_Handler(void)
{
    ticks++;
    SCB_ICSR = ICSR_PENDSVSET;
}

void SVC_Handler(void)
{
    ticks++;
}

static enum mode parse_mode(const char *cmdline)
{
    char value[16];
    if (!cmdline_get(cmdline, "mode", value, sizeof value) || strcmp(value, "systick") == 0)
        return SYSTICK;
    if (strcmp(value, "pendsv") == 0)
        return PENDSV;
    if (strcmp(value, "svc") == 0)
        return SVC;
    return MMIO;
}

static void wait_loop(enum mode mode, uint32_t busy)
{
    volatile uint32_t sink = 0;
    while (limit == 0 || ticks < limit) {
        if (mode == SVC) {
            __asm volatile("svc 0" ::: "memory");
        } else if (mode == MMIO) {
            sink += SYST_CVR;
            ticks++;
        } else if (busy) {
            sink++;
        } else {
            __WFI();
        }
    }
    (void)sink;
}

int main(void)
{
    char cmdline[128];
    uint32_t reload = 1, busy = 0;

    uart_init();
    cmdline[0] = 0;
    semihost_get_cmdline(cmdline, sizeof cmdline);
    cmdline_get_u32(cmdline, "reload", &reload);
    cmdline_get_u32(cmdline, "ticks", &limit);
    cmdline_get_u32(cmdline, "busy", &busy);
    enum mode mode = parse_mode(cmdline);
    uart_printf("storm: start mode=%u reload=%u\n", (uint32_t)mode, reload);
    if (mode == SYSTICK) {
        SYST_RVR = reload;
        SYST_CVR = 0;
        SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    } else if (mode == PENDSV) {
        SCB_ICSR = ICSR_PENDSVSET;
    }
    wait_loop(mode, busy);
    SYST_CSR = 0;
    uart_printf("storm: %u ticks\n", ticks);
    return 0;
}
