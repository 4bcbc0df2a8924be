/* iobound: an I/O-bound guest for the scheduling experiment. It reads its disk front to back
 * (wrapping around) with one request in flight, and does `think` instructions of CPU work
 * between requests.
 *
 * cmdline: requests=N (default 0: forever), think=N (instructions between requests, default 0;
 * N cycles under `timing: instruction`), size=BYTES (per request, a multiple of 512 up to 4096,
 * default 512). Prints "iobound: start ...", and when N requests are done
 * "iobound: <N> reads, <E> errors" and "iobound: done". */
#include "uart.h"
#include "semihosting.h"
#include "busy.h"
#include "virtio-blk.h"

#define MAX_BYTES 4096u

static uint8_t buffer[MAX_BYTES] __attribute__((aligned(4)));

static int arg(const char *cmdline, const char *key, uint32_t *value)
{
    if (cmdline_get_u32(cmdline, key, value) < 0) {
        uart_printf("iobound: bad value for %s\n", key);
        return -1;
    }
    return 0;
}

int main(void)
{
    static char cmdline[128];
    uint32_t requests = 0, think = 0, size = 512, errors = 0, done = 0;

    uart_init();
    semihost_get_cmdline(cmdline, sizeof cmdline);
    if (arg(cmdline, "requests", &requests) || arg(cmdline, "think", &think) || arg(cmdline, "size", &size))
        return 1;
    if (size == 0 || size % VIRTIO_BLK_SECTOR_SIZE || size > MAX_BYTES) {
        uart_printf("iobound: size must be a multiple of 512 up to %u\n", MAX_BYTES);
        return 1;
    }
    uart_printf("iobound: start requests=%u think=%u size=%u\n", requests, think, size);
    if (virtio_blk_init() != 0) {
        uart_printf("iobound: no virtio-blk device\n");
        return 1;
    }
    uint32_t count = size / VIRTIO_BLK_SECTOR_SIZE;
    uint64_t capacity = virtio_blk_capacity();
    uint32_t slots = (uint32_t)(capacity / count);
    if (slots == 0) {
        uart_printf("iobound: disk too small\n");
        return 1;
    }
    for (; requests == 0 || done < requests; done++) {
        busy_instructions(think);
        int r = virtio_blk_read((uint64_t)(done % slots) * count, buffer, size);
        if (r != VIRTIO_BLK_S_OK)
            errors++;
        if (r < 0) {
            uart_printf("iobound: device unusable (%d)\n", r);
            break;
        }
    }
    uart_printf("iobound: %u reads, %u errors\n", done, errors);
    uart_printf("iobound: done\n");
    return errors ? 1 : 0;
}
