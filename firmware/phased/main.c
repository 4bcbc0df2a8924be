/* phased: a phase-changing guest for the scheduling experiment: a CPU phase of `cpu`
 * instructions, then an I/O burst of `burst` back-to-back 512-byte reads, and again, so that
 * an I/O-aware scheduler moves it towards the driver VM's core during each burst and back
 * during each CPU phase.
 *
 * cmdline: cpu=N (instructions per CPU phase, default 2000000; N cycles under
 * `timing: instruction`), burst=N (reads per burst, default 64), rounds=N (default 0: forever).
 * Prints "phased: round <k> cpu" and "phased: round <k> io" as each phase begins, and when the
 * rounds are done "phased: <R> rounds, <E> errors" and "phased: done". */
#include "uart.h"
#include "semihosting.h"
#include "busy.h"
#include "virtio-blk.h"

static uint8_t buffer[512] __attribute__((aligned(4)));

static int arg(const char *cmdline, const char *key, uint32_t *value)
{
    if (cmdline_get_u32(cmdline, key, value) < 0) {
        uart_printf("phased: bad value for %s\n", key);
        return -1;
    }
    return 0;
}

int main(void)
{
    static char cmdline[128];
    uint32_t cpu = 2000000, burst = 64, rounds = 0, round = 0, errors = 0, next = 0;

    uart_init();
    semihost_get_cmdline(cmdline, sizeof cmdline);
    if (arg(cmdline, "cpu", &cpu) || arg(cmdline, "burst", &burst) || arg(cmdline, "rounds", &rounds))
        return 1;
    uart_printf("phased: start cpu=%u burst=%u rounds=%u\n", cpu, burst, rounds);
    if (virtio_blk_init() != 0) {
        uart_printf("phased: no virtio-blk device\n");
        return 1;
    }
    uint64_t sectors = virtio_blk_capacity();
    int dead = 0;
    for (round = 1; !dead && (rounds == 0 || round <= rounds); round++) {
        uart_printf("phased: round %u cpu\n", round);
        busy_instructions(cpu);
        uart_printf("phased: round %u io\n", round);
        for (uint32_t i = 0; i < burst; i++) {
            int r = virtio_blk_read(next++ % sectors, buffer, sizeof buffer);
            if (r != VIRTIO_BLK_S_OK)
                errors++;
            if (r < 0) {
                uart_printf("phased: device unusable (%d)\n", r);
                dead = 1;
                break;
            }
        }
    }
    uart_printf("phased: %u rounds, %u errors\n", round - 1u, errors);
    uart_printf("phased: done\n");
    return errors ? 1 : 0;
}
