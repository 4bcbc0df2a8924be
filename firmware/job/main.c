/* job: a parametric workload for the cluster (hv cluster run, hv experiment cluster). Each round
 * computes for a while, then sleeps in WFI for a while (SysTick-timed), so one image covers
 * CPU-bound jobs (long work, no sleep), latency-sensitive ones (short work, few rounds) and
 * mostly-waiting ones (short work, long sleeps: a vCPU placed but little load).
 *
 * Command line (key=value words, decimal or 0x hex):
 *   work=N    thousands of loop iterations per round (about 6 cycles each; default 100)
 *   sleep=US  microseconds asleep after each round (default 0)
 *   rounds=R  rounds (default 10)
 *   seed=S    folded into the checksum (default 1)
 * UART0: "job: start work=N sleep=US rounds=R", then "job: done checksum=0x%08x"; exit 0. */
#include "board.h"
#include "cmsis.h"
#include "semihosting.h"
#include "uart.h"

#define MAX_TICK_US 500000u /* 12.5M cycles: below SysTick's 24-bit reload */

static volatile uint32_t ticked;

void SysTick_Handler(void)
{
    ticked = 1;
    SYST_CSR = 0;
}

/* One SysTick period of `us` microseconds (at most MAX_TICK_US), asleep in WFI until it fires.
 * Interrupts are masked around the check so that the tick cannot slip in between the test and
 * the WFI (a pending interrupt wakes WFI even with PRIMASK set). */
static void sleep_once(uint32_t us)
{
    ticked = 0;
    SYST_RVR = us * (SYSCLK_HZ / 1000000u) - 1u;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    __disable_irq();
    while (!ticked) {
        __WFI();
        __enable_irq();
        __disable_irq();
    }
    __enable_irq();
}

static void sleep_us(uint32_t us)
{
    while (us > 0) {
        uint32_t chunk = us > MAX_TICK_US ? MAX_TICK_US : us;
        sleep_once(chunk);
        us -= chunk;
    }
}

static uint32_t compute(uint32_t x, uint32_t iterations)
{
    for (uint32_t i = 0; i < iterations; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
    }
    return x;
}

int main(void)
{
    char cmdline[128];
    uint32_t work = 100, sleep = 0, rounds = 10, seed = 1;

    uart_init();
    if (semihost_get_cmdline(cmdline, sizeof cmdline) == 0) {
        cmdline_get_u32(cmdline, "work", &work);
        cmdline_get_u32(cmdline, "sleep", &sleep);
        cmdline_get_u32(cmdline, "rounds", &rounds);
        cmdline_get_u32(cmdline, "seed", &seed);
    }
    uart_printf("job: start work=%u sleep=%u rounds=%u\n", work, sleep, rounds);
    uint32_t x = seed | 1u;
    for (uint32_t r = 0; r < rounds; r++) {
        x = compute(x, work * 1000u);
        if (sleep > 0)
            sleep_us(sleep);
    }
    uart_printf("job: done checksum=0x%08x\n", x);
    return 0;
}
