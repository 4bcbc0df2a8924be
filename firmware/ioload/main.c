/* ioload: a deterministic block workload over virtio-blk, for I/O path experiments.
 *
 * cmdline (semihosting SYS_GET_CMDLINE): requests=N (default 64), size=BYTES (0, the default:
 * 512 and 4096; else one size, a multiple of 512 up to HV_VIRTIO_BLK_MAX_BYTES), seed=S
 * (default 1), timeout=MS (default 0: wait forever for each request).
 *
 * For each size: sequential-write, sequential-read, random-write, random-read, N requests each,
 * one in flight at a time, over request-sized slots of the whole disk. A sector's content is a
 * function of (seed, sector) only, so any read of a sector this run wrote can be verified
 * whichever phase wrote it last; reads only touch sectors this run wrote. Every byte read goes
 * into a CRC-32. A flush follows each write phase when VIRTIO_BLK_F_FLUSH was negotiated.
 * Phase lines go to the virtio-console (UART0 if there is none), the summary to UART0. */
#include "board.h"
#include "uart.h"
#include "semihosting.h"
#include "libc.h"
#include "hvlab-io.h"
#include "virtio-blk.h"
#include "virtio-console.h"

#define MAX_ERROR_LINES 8u
#define POISON 0xeeu

extern uint8_t _ram_free_start[], _ram_free_end[];

enum phase { SEQ_WRITE, SEQ_READ, RAND_WRITE, RAND_READ, PHASES };
static const char *const phase_name[PHASES] = {
    "sequential-write", "sequential-read", "random-write", "random-read",
};

static uint32_t seed;
static uint32_t nreq;
static uint32_t total, errors, error_lines;
static uint32_t crc;
static uint32_t crc_table[256];
static int console_ok;
static int device_dead;

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

/* Word w (0..127) of sector s. */
static uint32_t pattern(uint32_t s, uint32_t w)
{
    return mix(s * 0x9e3779b1u + seed * 0x7feb352du + w * 0x68e31da4u + 0x2545f491u);
}

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
        crc_table[i] = c;
    }
    crc = 0xffffffffu;
}

static void crc_update(const uint8_t *p, uint32_t n)
{
    uint32_t c = crc;
    while (n--)
        c = crc_table[(c ^ *p++) & 0xffu] ^ (c >> 8);
    crc = c;
}

/* Counts an error; 1 if its line should still be printed (the first MAX_ERROR_LINES). */
static int error_shown(void)
{
    errors++;
    if (error_lines == MAX_ERROR_LINES)
        uart_printf("ioload: (further errors not shown)\n");
    return error_lines++ < MAX_ERROR_LINES;
}

static void phase_line(enum phase p, uint32_t size)
{
    char line[64];
    snprintf_(line, sizeof(line), "ioload: %s %u done\n", phase_name[p], size);
    if (console_ok) {
        int r = virtio_console_puts(line);
        if (r == 0)
            return;
        errors++;
        console_ok = 0;
        uart_printf("ioload: virtio-console write failed (%d), using UART0\n", r);
    }
    uart_puts(line);
}

/* Slot of the i-th request of a phase; slots are size-aligned request positions. */
static uint32_t rand_write_slot(uint32_t i, uint32_t size, uint32_t slots)
{
    return mix(seed ^ mix(i * 2u + 1u) ^ (size * 0x9e3779b9u)) % slots;
}

static uint32_t slot_of(enum phase p, uint32_t i, uint32_t size, uint32_t slots)
{
    switch (p) {
    case SEQ_WRITE:
    case SEQ_READ:
        return i % slots;
    case RAND_WRITE:
        return rand_write_slot(i, size, slots);
    default:
        /* A random one of the random-write requests, so only written sectors are read. */
        return rand_write_slot(mix(seed + 0x51ed270bu * (i + 1u) + size) % nreq, size, slots);
    }
}

static void fill(uint32_t *buf, uint32_t sector, uint32_t count)
{
    for (uint32_t s = 0; s < count; s++)
        for (uint32_t w = 0; w < 128; w++)
            *buf++ = pattern(sector + s, w);
}

/* The first sector whose content is wrong, or -1. */
static int32_t verify(const uint32_t *buf, uint32_t sector, uint32_t count)
{
    for (uint32_t s = 0; s < count; s++)
        for (uint32_t w = 0; w < 128; w++)
            if (*buf++ != pattern(sector + s, w))
                return (int32_t)s;
    return -1;
}

static void run_phase(enum phase p, uint32_t size, uint32_t slots, uint32_t *buf)
{
    uint32_t count = size / VIRTIO_BLK_SECTOR_SIZE;
    int writing = p == SEQ_WRITE || p == RAND_WRITE;

    for (uint32_t i = 0; i < nreq && !device_dead; i++) {
        uint32_t sector = slot_of(p, i, size, slots) * count;
        int r;

        if (writing) {
            fill(buf, sector, count);
            r = virtio_blk_write(sector, buf, size);
        } else {
            memset(buf, POISON, size);
            r = virtio_blk_read(sector, buf, size);
        }
        total++;
        if (r != VIRTIO_BLK_S_OK) {
            if (error_shown())
                uart_printf("ioload: %s %u: request %u at sector %u failed (%d)\n",
                            phase_name[p], size, i, sector, r);
            if (r < 0) {
                device_dead = 1;
                uart_printf("ioload: device unusable (%d), stopping\n", r);
            }
            continue;
        }
        if (!writing) {
            crc_update((const uint8_t *)buf, size);
            int32_t bad = verify(buf, sector, count);
            if (bad >= 0 && error_shown())
                uart_printf("ioload: %s %u: request %u: wrong data in sector %u\n",
                            phase_name[p], size, i, sector + (uint32_t)bad);
        }
    }
    if (writing && !device_dead && (virtio_blk_features() & VIRTIO_BLK_F_FLUSH)) {
        int r = virtio_blk_flush();
        if (r != VIRTIO_BLK_S_OK) {
            if (error_shown())
                uart_printf("ioload: %s %u: flush failed (%d)\n", phase_name[p], size, r);
            if (r < 0)
                device_dead = 1;
        }
    }
    if (!device_dead)
        phase_line(p, size);
}

static int arg(const char *cmdline, const char *key, uint32_t *value)
{
    if (cmdline_get_u32(cmdline, key, value) < 0) {
        uart_printf("ioload: bad value for %s\n", key);
        return -1;
    }
    return 0;
}

int main(void)
{
    static char cmdline[256];
    static const uint32_t default_sizes[] = { 512, 4096 };
    uint32_t size = 0, timeout = 0, nsizes;
    const uint32_t *sizes;
    char id[VIRTIO_BLK_ID_BYTES + 1];
    int r;

    uart_init();
    semihost_get_cmdline(cmdline, sizeof(cmdline));
    nreq = 64;
    seed = 1;
    if (arg(cmdline, "requests", &nreq) || arg(cmdline, "size", &size) ||
        arg(cmdline, "seed", &seed) || arg(cmdline, "timeout", &timeout))
        return 1;
    if (size % VIRTIO_BLK_SECTOR_SIZE || size > HV_VIRTIO_BLK_MAX_BYTES ||
        (uint32_t)(_ram_free_end - _ram_free_start) < HV_VIRTIO_BLK_MAX_BYTES) {
        uart_printf("ioload: size must be 0 or a multiple of 512 up to %u\n", HV_VIRTIO_BLK_MAX_BYTES);
        return 1;
    }
    sizes = size ? &size : default_sizes;
    nsizes = size ? 1 : sizeof(default_sizes) / sizeof(default_sizes[0]);
    uart_printf("ioload: start requests=%u size=%u seed=%u\n", nreq, size, seed);
    virtio_set_timeout_ms(timeout);
    crc_init();

    r = virtio_blk_init();
    if (r < 0) {
        uart_printf("ioload: no virtio-blk device (%d)\n", r);
        return 1;
    }
    uint64_t capacity = virtio_blk_capacity();
    uint32_t sectors = capacity > 0xffffffffu ? 0xffffffffu : (uint32_t)capacity;
    r = virtio_blk_get_id(id);
    if (r == VIRTIO_BLK_S_OK)
        uart_printf("ioload: disk \"%s\", %u sectors\n", id, sectors);
    else
        uart_printf("ioload: disk (no id: %d), %u sectors\n", r, sectors);
    if (r < 0) {
        errors++;
        device_dead = 1;
    }

    console_ok = virtio_console_init() == 0;
    if (!console_ok)
        uart_printf("ioload: no virtio-console, phase lines on UART0\n");

    /* The data buffer: free SRAM after .bss (8-byte aligned, never zeroed). */
    uint32_t *buf = (uint32_t *)_ram_free_start;
    for (uint32_t k = 0; k < nsizes && !device_dead; k++) {
        uint32_t slots = sectors / (sizes[k] / VIRTIO_BLK_SECTOR_SIZE);
        if (slots == 0 || nreq == 0) {
            if (slots == 0) {
                errors++;
                uart_printf("ioload: disk too small for %u-byte requests\n", sizes[k]);
            }
            continue;
        }
        for (int p = 0; p < PHASES && !device_dead; p++)
            run_phase((enum phase)p, sizes[k], slots, buf);
    }
    uart_printf("ioload: %u requests, %u errors, read checksum 0x%08x\n", total, errors, ~crc);
    uart_printf("ioload: done\n");
    return errors ? 1 : 0;
}
