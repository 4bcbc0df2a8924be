/* pipeline: a well-behaved virtio-blk frontend that keeps several requests outstanding on its one
 * queue. virtio lets a driver make buffers available and notify while earlier ones are still at
 * the device, and requires the device to use every available buffer after a notification.
 *
 * It writes a pattern to `depth` x `rounds` sectors one request at a time, then reads them back
 * in rounds: each round makes `depth` reads available one by one, notifying after each, with
 * `gap` instructions of CPU work between the notifications (so a later notification reaches the
 * device while it serves an earlier one), then collects the used entries and checks every read.
 * If nothing is used within `wait` ms of the last notification, it prints that, notifies once
 * more and waits again (such a read counts as late).
 *
 * cmdline: depth=N (1..5, default 2), gap=N (instructions, default 2000), rounds=N (default 4),
 * wait=MS (default 100). Prints "pipeline: <rounds> rounds of <depth>: <ok> ok, <late> late,
 * <bad> bad" and "pipeline: done"; exit 0 when every read was on time and right. */
#include "uart.h"
#include "semihosting.h"
#include "libc.h"
#include "busy.h"
#include "cmsis.h"
#include "virtio-blk.h"

#define MAX_DEPTH 5u   /* three descriptors per request, 16 in the queue */
#define STATUS_POISON 0xffu

static struct virtio_blk_req_hdr hdrs[MAX_DEPTH] __attribute__((aligned(16)));
static volatile uint8_t statuses[MAX_DEPTH];
static uint8_t bufs[MAX_DEPTH][VIRTIO_BLK_SECTOR_SIZE] __attribute__((aligned(16)));
static int heads[MAX_DEPTH];

static uint8_t pattern(uint32_t sector, uint32_t i)
{
    return (uint8_t)(sector * 31u + i * 7u + 1u);
}

static int arg(const char *cmdline, const char *key, uint32_t *value)
{
    if (cmdline_get_u32(cmdline, key, value) < 0) {
        uart_printf("pipeline: bad value for %s\n", key);
        return -1;
    }
    return 0;
}

static int write_patterns(uint32_t sectors)
{
    for (uint32_t s = 0; s < sectors; s++) {
        for (uint32_t i = 0; i < VIRTIO_BLK_SECTOR_SIZE; i++)
            bufs[0][i] = pattern(s, i);
        if (virtio_blk_write(s, bufs[0], VIRTIO_BLK_SECTOR_SIZE) != VIRTIO_BLK_S_OK)
            return -1;
    }
    return 0;
}

/* Makes read k of sector `sector` available and notifies. */
static int submit(struct virtq *vq, unsigned k, uint32_t sector)
{
    struct virtq_buf b[3] = {
        { &hdrs[k], sizeof(hdrs[k]) },
        { bufs[k], VIRTIO_BLK_SECTOR_SIZE },
        { (const void *)&statuses[k], 1 },
    };

    hdrs[k].type = VIRTIO_BLK_T_IN;
    hdrs[k].reserved = 0;
    hdrs[k].sector = sector;
    statuses[k] = STATUS_POISON;
    memset(bufs[k], 0, VIRTIO_BLK_SECTOR_SIZE);
    heads[k] = virtq_add(vq, b, 1, 2);
    if (heads[k] < 0)
        return -1;
    virtq_kick(vq);
    return 0;
}

/* Read k of sector `sector` came back OK with the sector's pattern. */
static int read_right(unsigned k, uint32_t sector)
{
    if (statuses[k] != VIRTIO_BLK_S_OK)
        return 0;
    for (uint32_t i = 0; i < VIRTIO_BLK_SECTOR_SIZE; i++)
        if (bufs[k][i] != pattern(sector, i))
            return 0;
    return 1;
}

struct tally {
    uint32_t ok, late, bad;
};

/* Collects the `depth` reads of round r (sectors r * depth ...). -1 when the device is unusable. */
static int collect(struct virtq *vq, uint32_t r, uint32_t depth, struct tally *t)
{
    uint32_t late = 0;

    for (uint32_t got = 0; got < depth; got++) {
        int w = virtio_mmio_wait_used(HV_VIRTIO_BLK_BASE, vq);
        if (w == VIRTIO_ETIMEDOUT) {
            uart_printf("pipeline: round %u: %u of %u reads used, then nothing: notifying again\n", r, got, depth);
            late = depth - got;
            virtq_kick(vq);
            w = virtio_mmio_wait_used(HV_VIRTIO_BLK_BASE, vq);
        }
        if (w < 0)
            return -1;
        uint32_t len;
        int head = virtq_get_used(vq, &len);
        unsigned k = 0;
        while (k < depth && heads[k] != head)
            k++;
        if (k == depth)
            return -1;
        heads[k] = -1;
        __DMB();
        if (!read_right(k, r * depth + k))
            t->bad++;
    }
    t->late += late;
    t->ok += depth - late;
    return 0;
}

int main(void)
{
    static char cmdline[128];
    uint32_t depth = 2, gap = 2000, rounds = 4, wait = 100;
    struct tally t = { 0, 0, 0 };

    uart_init();
    semihost_get_cmdline(cmdline, sizeof cmdline);
    if (arg(cmdline, "depth", &depth) || arg(cmdline, "gap", &gap) || arg(cmdline, "rounds", &rounds) || arg(cmdline, "wait", &wait))
        return 1;
    if (depth == 0 || depth > MAX_DEPTH || wait == 0) {
        uart_printf("pipeline: depth must be 1..%u and wait nonzero\n", MAX_DEPTH);
        return 1;
    }
    uart_printf("pipeline: start depth=%u gap=%u rounds=%u\n", depth, gap, rounds);
    if (virtio_blk_init() != 0 || write_patterns(depth * rounds) != 0) {
        uart_printf("pipeline: no usable virtio-blk device\n");
        return 1;
    }
    virtio_set_timeout_ms(wait);
    struct virtq *vq = virtio_blk_queue();
    for (uint32_t r = 0; r < rounds; r++) {
        for (unsigned k = 0; k < depth; k++) {
            if (k)
                busy_instructions(gap);
            if (submit(vq, k, r * depth + k) < 0)
                return 1;
        }
        if (collect(vq, r, depth, &t) < 0) {
            uart_printf("pipeline: round %u: device unusable\n", r);
            return 1;
        }
    }
    uart_printf("pipeline: %u rounds of %u: %u ok, %u late, %u bad\n", rounds, depth, t.ok, t.late, t.bad);
    uart_printf("pipeline: done\n");
    return t.late || t.bad ? 1 : 0;
}
