/* latency: a latency-sensitive guest for the scheduling experiment. CMSDK timer0 interrupts every
 * `period` cycles; at each tick the guest wakes from WFI and issues one small read (512 bytes),
 * waits for it, and sleeps again. A tick that arrives while the previous request is still in
 * flight is a missed period.
 *
 * cmdline: period=CYCLES (default 25000: 1 ms at 25 MHz), requests=N (default 0: forever).
 * Prints "latency: start ...", and when N requests are done
 * "latency: <N> requests, <M> missed periods, <E> errors" and "latency: done". */
#include "board.h"
#include "cmsis.h"
#include "uart.h"
#include "semihosting.h"
#include "virtio-blk.h"

static uint8_t buffer[512] __attribute__((aligned(4)));
static volatile uint32_t ticks;

void IRQ8_Handler(void)   /* TIMER0_IRQn */
{
    TIMER_INTCLEAR(TIMER0_BASE) = 1;
    ticks++;
}

/* Sleeps until the tick count differs from `seen` (race-free: WFI with PRIMASK set still wakes
 * for a pending interrupt, whose handler runs once PRIMASK clears). */
static uint32_t wait_tick(uint32_t seen)
{
    __disable_irq();
    while (ticks == seen) {
        __WFI();
        __enable_irq();
        __disable_irq();
    }
    uint32_t now = ticks;
    __enable_irq();
    return now;
}

static int arg(const char *cmdline, const char *key, uint32_t *value)
{
    if (cmdline_get_u32(cmdline, key, value) < 0) {
        uart_printf("latency: bad value for %s\n", key);
        return -1;
    }
    return 0;
}

int main(void)
{
    static char cmdline[128];
    uint32_t period = 25000, requests = 0, done = 0, missed = 0, errors = 0;

    uart_init();
    semihost_get_cmdline(cmdline, sizeof cmdline);
    if (arg(cmdline, "period", &period) || arg(cmdline, "requests", &requests))
        return 1;
    if (period < 2) {
        uart_printf("latency: period must be at least 2 cycles\n");
        return 1;
    }
    uart_printf("latency: start period=%u requests=%u\n", period, requests);
    if (virtio_blk_init() != 0) {
        uart_printf("latency: no virtio-blk device\n");
        return 1;
    }
    uint64_t sectors = virtio_blk_capacity();
    nvic_enable_irq(TIMER0_IRQn);
    TIMER_CTRL(TIMER0_BASE) = 0;
    TIMER_RELOAD(TIMER0_BASE) = period - 1u;   /* the period is RELOAD + 1 ticks */
    TIMER_CTRL(TIMER0_BASE) = TIMER_CTRL_EN | TIMER_CTRL_IRQEN;
    uint32_t seen = 0;
    for (; requests == 0 || done < requests; done++) {
        uint32_t now = wait_tick(seen);
        missed += now - seen - 1u;
        seen = now;
        int r = virtio_blk_read(done % sectors, buffer, sizeof buffer);
        if (r != VIRTIO_BLK_S_OK)
            errors++;
        if (r < 0) {
            uart_printf("latency: device unusable (%d)\n", r);
            break;
        }
    }
    TIMER_CTRL(TIMER0_BASE) = 0;
    uart_printf("latency: %u requests, %u missed periods, %u errors\n", done, missed, errors);
    uart_printf("latency: done\n");
    return errors ? 1 : 0;
}
