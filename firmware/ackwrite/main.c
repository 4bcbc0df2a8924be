/* ackwrite: a write-heavy virtio-blk workload that says which writes the device acknowledged, for
 * the signal-kill test (test/cli/signal-kill.test.ts): whoever reads the console knows every
 * write the guest saw completed, and the one that may be in flight, so it can check the disk
 * afterwards (qemu-io read -P).
 *
 * cmdline: size=BYTES (default 4096, a multiple of 512 up to 64 KiB), seed=S (default 1),
 * requests=N (default 0: forever), flush=K (a flush request after every K writes; default 0:
 * never, so acknowledged data may sit in a write-back cache until shutdown).
 *
 * Write i fills one request-sized slot of the disk with one byte value; both come from (seed, i).
 * After the device acknowledges write i, UART0 gets
 *     ackwrite: ack <i> slot <slot> byte <byte> next slot <slot'> byte <byte'>
 * where the "next" part is write i+1, the only write that can be in flight (or acknowledged
 * but not yet reported) when the run ends after this line. The start line
 *     ackwrite: start size=<bytes> slots=<n> seed=<s> next slot <slot> byte <byte>
 * names write 0 the same way. Byte values are 1..255: a slot never
 * written reads as 0. A failed write prints "ackwrite: write <i> failed (<status>)" and ends
 * with exit 1. */
#include "uart.h"
#include "semihosting.h"
#include "libc.h"
#include "hvlab-io.h"
#include "virtio-blk.h"

extern uint8_t _ram_free_start[];

static uint32_t seed = 1;

/* murmur3 finaliser: a cheap, well-mixed 32-bit hash. */
static uint32_t mix(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x85ebca6bu;
    x ^= x >> 13;
    x *= 0xc2b2ae35u;
    x ^= x >> 16;
    return x;
}

static uint32_t slot_of(uint32_t i, uint32_t slots)
{
    return mix(seed * 0x9e3779b1u + i) % slots;
}

static uint32_t byte_of(uint32_t i)
{
    return 1u + mix(seed * 0x7feb352du + i * 0x68e31da4u + 0x2545f491u) % 255u;
}

int main(void)
{
    static char cmdline[256];
    uint32_t size = 4096, requests = 0, flush = 0;
    uint8_t *buf = _ram_free_start;

    uart_init();
    semihost_get_cmdline(cmdline, sizeof cmdline);
    if (cmdline_get_u32(cmdline, "size", &size) < 0 || cmdline_get_u32(cmdline, "seed", &seed) < 0 ||
        cmdline_get_u32(cmdline, "requests", &requests) < 0 || cmdline_get_u32(cmdline, "flush", &flush) < 0 ||
        size == 0 || size % VIRTIO_BLK_SECTOR_SIZE || size > HV_VIRTIO_BLK_MAX_BYTES) {
        uart_printf("ackwrite: bad cmdline\n");
        return 1;
    }
    if (virtio_blk_init() != 0) {
        uart_printf("ackwrite: no virtio-blk device\n");
        return 1;
    }
    uint32_t count = size / VIRTIO_BLK_SECTOR_SIZE;
    uint64_t capacity = virtio_blk_capacity();
    uint32_t slots = (uint32_t)(capacity / count > 0xffffffu ? 0xffffffu : capacity / count);
    if (slots == 0) {
        uart_printf("ackwrite: disk too small\n");
        return 1;
    }
    uart_printf("ackwrite: start size=%u slots=%u seed=%u next slot %u byte %u\n", size, slots, seed, slot_of(0, slots), byte_of(0));
    for (uint32_t i = 0; requests == 0 || i < requests; i++) {
        uint32_t slot = slot_of(i, slots), byte = byte_of(i);
        memset(buf, (int)byte, size);
        int r = virtio_blk_write((uint64_t)slot * count, buf, size);
        if (r != VIRTIO_BLK_S_OK) {
            uart_printf("ackwrite: write %u failed (%d)\n", i, r);
            return 1;
        }
        uart_printf("ackwrite: ack %u slot %u byte %u next slot %u byte %u\n", i, slot, byte, slot_of(i + 1, slots), byte_of(i + 1));
        if (flush != 0 && (i + 1) % flush == 0 && virtio_blk_flush() != VIRTIO_BLK_S_OK) {
            uart_printf("ackwrite: flush after write %u failed\n", i);
            return 1;
        }
    }
    uart_printf("ackwrite: done\n");
    return 0;
}
