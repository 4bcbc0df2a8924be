/* virtio-blk frontend: one request at a time on queue 0. */
#include "virtio-blk.h"
#include "board.h"
#include "hvlab-io.h"
#include "libc.h"

_Static_assert(HV_VIRTIO_BLK_IRQ == 14, "IRQ14_Handler below is the virtio-blk handler");

#define BASE HV_VIRTIO_BLK_BASE
#define STATUS_POISON 0xffu

static struct virtq_mem blk_mem;      /* guest SRAM (.bss), 16-byte aligned */
static struct virtq blk_vq;
static struct virtio_blk_req_hdr blk_hdr __attribute__((aligned(16)));
static volatile uint8_t blk_status;
static uint64_t blk_features;
static int blk_ready;                 /* 1 after init until a reset, a timeout or NEEDS_RESET */
static int blk_err;                   /* why not ready (0: never initialised: VIRTIO_ENODEV) */
volatile uint32_t virtio_blk_irq_count;

void IRQ14_Handler(void)
{
    virtio_mmio_irq_ack(BASE);
    virtio_blk_irq_count++;
}

void virtio_blk_reset(void)
{
    nvic_disable_irq(HV_VIRTIO_BLK_IRQ);
    blk_ready = 0;
    blk_err = VIRTIO_ENODEV;
    if (virtio_mmio_probe(BASE, VIRTIO_ID_BLOCK) == 0)
        virtio_mmio_reset(BASE);
    nvic_clear_pending(HV_VIRTIO_BLK_IRQ);
}

int virtio_blk_init(void)
{
    int r;

    virtio_blk_reset();
    r = virtio_mmio_begin(BASE, VIRTIO_ID_BLOCK, VIRTIO_F_VERSION_1 | VIRTIO_BLK_F_FLUSH, &blk_features);
    if (r < 0) {
        blk_err = r;
        return r;
    }
    r = virtio_mmio_setup_queue(BASE, &blk_vq, 0, &blk_mem);
    if (r < 0) {
        virtio_mmio_write(BASE, VIRTIO_MMIO_STATUS, virtio_mmio_status(BASE) | VIRTIO_STATUS_FAILED);
        blk_err = r;
        return r;
    }
    virtio_mmio_driver_ok(BASE);
    virtio_mmio_irq_ack(BASE);
    nvic_clear_pending(HV_VIRTIO_BLK_IRQ);
    nvic_enable_irq(HV_VIRTIO_BLK_IRQ);
    blk_ready = 1;
    return 0;
}

uint64_t virtio_blk_capacity(void)
{
    return virtio_mmio_config_read64(BASE, 0);
}

uint64_t virtio_blk_features(void)
{
    return blk_features;
}

struct virtq *virtio_blk_queue(void)
{
    return &blk_vq;
}

int virtio_blk_request(uint32_t type, uint64_t sector, void *data, uint32_t len)
{
    struct virtq_buf bufs[3];
    unsigned out = 0, in = 0, n = 0;
    uint32_t written;
    int head, r;

    if (!blk_ready)
        return blk_err ? blk_err : VIRTIO_ENODEV;

    blk_hdr.type = type;
    blk_hdr.reserved = 0;
    blk_hdr.sector = sector;
    blk_status = STATUS_POISON;

    bufs[n].addr = &blk_hdr;
    bufs[n++].len = sizeof(blk_hdr);
    out++;
    int device_writes = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
    if (len && !device_writes) {
        bufs[n].addr = data;
        bufs[n++].len = len;
        out++;
    }
    if (len && device_writes) {
        bufs[n].addr = data;
        bufs[n++].len = len;
        in++;
    }
    bufs[n].addr = (const void *)&blk_status;
    bufs[n++].len = 1;
    in++;

    head = virtq_add(&blk_vq, bufs, out, in);
    if (head < 0)
        return head;
    virtq_kick(&blk_vq);

    r = virtio_mmio_wait_used(BASE, &blk_vq);
    if (r < 0) {
        blk_ready = 0;   /* the request may still be in flight: only a reset ends it */
        blk_err = r;
        return r;
    }
    r = virtq_get_used(&blk_vq, &written);
    if (r != head) {
        blk_ready = 0;
        blk_err = VIRTIO_EPROTO;
        return VIRTIO_EPROTO;
    }
    __DMB();
    if (blk_status > VIRTIO_BLK_S_UNSUPP)
        return VIRTIO_EPROTO;   /* status byte not written, or nonsense */
    return blk_status;
}

static int sectors_ok(uint32_t bytes)
{
    return bytes != 0 && bytes % VIRTIO_BLK_SECTOR_SIZE == 0;
}

int virtio_blk_read(uint64_t sector, void *buf, uint32_t bytes)
{
    if (!sectors_ok(bytes))
        return VIRTIO_EINVAL;
    return virtio_blk_request(VIRTIO_BLK_T_IN, sector, buf, bytes);
}

int virtio_blk_write(uint64_t sector, const void *buf, uint32_t bytes)
{
    if (!sectors_ok(bytes))
        return VIRTIO_EINVAL;
    return virtio_blk_request(VIRTIO_BLK_T_OUT, sector, (void *)buf, bytes);
}

int virtio_blk_flush(void)
{
    if (!(blk_features & VIRTIO_BLK_F_FLUSH))
        return VIRTIO_BLK_S_UNSUPP;
    return virtio_blk_request(VIRTIO_BLK_T_FLUSH, 0, 0, 0);
}

int virtio_blk_get_id(char id[VIRTIO_BLK_ID_BYTES + 1])
{
    static char buf[VIRTIO_BLK_ID_BYTES];   /* in SRAM, whatever the caller's buffer is */
    memset(buf, 0, sizeof(buf));
    int r = virtio_blk_request(VIRTIO_BLK_T_GET_ID, 0, buf, VIRTIO_BLK_ID_BYTES);
    if (r == VIRTIO_BLK_S_OK) {
        memcpy(id, buf, VIRTIO_BLK_ID_BYTES);
        id[VIRTIO_BLK_ID_BYTES] = '\0';
    } else {
        id[0] = '\0';
    }
    return r;
}
