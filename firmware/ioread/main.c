/* ioread: back-to-back 512-byte reads over virtio-blk, for the I/O-path throughput benchmark
 * (npm run bench). cmdline: requests=N (default 1000). No verification: the guest does as little
 * as possible between requests, so host time goes to the I/O path. Prints
 * "ioread: <N> reads, <errors> errors" and "ioread: done". */
#include "uart.h"
#include "semihosting.h"
#include "virtio-blk.h"

static uint8_t buffer[512] __attribute__((aligned(4)));

int main(void)
{
    char cmdline[128];
    uint32_t requests = 1000, errors = 0;

    uart_init();
    if (semihost_get_cmdline(cmdline, sizeof cmdline) == 0)
        cmdline_get_u32(cmdline, "requests", &requests);
    if (virtio_blk_init() != 0) {
        uart_printf("ioread: no virtio-blk device\n");
        return 1;
    }
    uint64_t sectors = virtio_blk_capacity();
    for (uint32_t i = 0; i < requests; i++) {
        if (virtio_blk_read(i % sectors, buffer, sizeof buffer) != VIRTIO_BLK_S_OK)
            errors++;
    }
    uart_printf("ioread: %u reads, %u errors\n", requests, errors);
    uart_printf("ioread: done\n");
    return errors ? 1 : 0;
}
