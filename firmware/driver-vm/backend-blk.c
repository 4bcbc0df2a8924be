/* virtio-blk backend (virtio 1.2 §5.2): IN, OUT, FLUSH, GET_ID.
 *
 * A request is: one device-readable 16-byte header, data descriptors, one device-writable
 * 1-byte status (the last descriptor). A request without a usable status byte cannot be
 * answered: VQ_FATAL (the device needs a reset). Everything else wrong is answered IOERR (or
 * UNSUPP for an unknown type): a header of another size or direction, data descriptors in the
 * wrong direction, of a length that is not a nonzero multiple of 512, more than
 * HV_VIRTIO_BLK_MAX_BYTES in total, sectors beyond the capacity, buffers outside the frontend's
 * RAM, a device error.
 *
 * Direct mode (caller's context): the controller DMAs straight to and from the frontend's
 * buffers, each checked first. Grant mode (driver VM): through the bounce buffer in the window,
 * with grant copies. */
#include "driver.h"
#include "virtq-backend.h"
#include "frontend-access.h"
#include "blkctl.h"
#include "libc.h"

#define SECTOR 512u
#define BLK_T_IN     0u
#define BLK_T_OUT    1u
#define BLK_T_FLUSH  4u
#define BLK_T_GET_ID 8u
#define BLK_S_OK     0u
#define BLK_S_IOERR  1u
#define BLK_S_UNSUPP 2u
#define BLK_ID_BYTES 20u

struct blk_hdr {
    uint32_t type;
    uint32_t reserved;
    uint32_t sector_lo;
    uint32_t sector_hi;
};

/* Grant mode only (the driver VM, one request at a time); not zeroed, linked outside .bss. */
static uint8_t bounce[HV_VIRTIO_BLK_MAX_BYTES] __attribute__((section(".noinit.hv_bounce"), aligned(8)));

/* "hvlab-disk-<unit>", NUL padded to 20 bytes. */
static void make_id(uint32_t unit, uint8_t id[BLK_ID_BYTES])
{
    static const char prefix[] = "hvlab-disk-";
    char digits[10];
    uint32_t n = 0, k = 0;

    memset(id, 0, BLK_ID_BYTES);
    for (; prefix[k]; k++)
        id[k] = (uint8_t)prefix[k];
    do {
        digits[n++] = (char)('0' + unit % 10);
        unit /= 10;
    } while (unit);
    while (n && k < BLK_ID_BYTES)
        id[k++] = (uint8_t)digits[--n];
}

/* Data descriptors are seg[1 .. n-2]; checks direction and lengths, returns the total or 0. */
static uint32_t data_total(const struct vq_chain *c, uint32_t want_write)
{
    uint32_t total = 0;
    for (uint32_t i = 1; i + 1 < c->n; i++) {
        const struct vq_seg *s = &c->seg[i];
        if (s->write != want_write || s->len == 0 || s->len % SECTOR != 0)
            return 0;
        if (s->len > HV_VIRTIO_BLK_MAX_BYTES - total)
            return 0;
        total += s->len;
    }
    return total;
}

static int in_capacity(const struct hv_io_call *call, uint64_t sector, uint32_t count)
{
    uint64_t capacity = ((uint64_t)call->capacity_hi << 32) | call->capacity_lo;
    return sector <= capacity && count <= capacity - sector;
}

static uint32_t transfer(const struct hv_io_call *call, int in, uint64_t sector, const struct vq_chain *c,
                         uint32_t total)
{
    uint32_t slot = blkctl_slot(call);
    uint32_t cmd = in ? BLKCTL_CMD_READ : BLKCTL_CMD_WRITE;
    uint32_t nd = c->n - 2;
    const struct vq_seg *data = &c->seg[1];

    if (call->mode == HV_MODE_DIRECT) {
        for (uint32_t i = 0; i < nd; i++)
            if (!fe_direct_range_ok(call, data[i].addr, data[i].len))
                return BLK_S_IOERR;
        for (uint32_t i = 0; i < nd; i++) {
            uint32_t count = data[i].len / SECTOR;
            if (blkctl_run(slot, 0, call->unit, cmd, sector, count, data[i].addr) < 0)
                return BLK_S_IOERR;
            sector += count;
        }
        return BLK_S_OK;
    }

    /* Grant mode: the whole request through the bounce buffer in one command. */
    uint32_t off = 0;
    if (!in) {
        for (uint32_t i = 0; i < nd; off += data[i].len, i++)
            if (fe_read(call, data[i].addr, bounce + off, data[i].len) < 0)
                return BLK_S_IOERR;
    }
    if (blkctl_run(slot, 1, call->unit, cmd, sector, total / SECTOR, (uint32_t)bounce) < 0)
        return BLK_S_IOERR;
    if (in) {
        for (uint32_t i = 0; i < nd; off += data[i].len, i++)
            if (fe_write(call, data[i].addr, bounce + off, data[i].len) < 0)
                return BLK_S_IOERR;
    }
    return BLK_S_OK;
}

/* Executes the request; returns the status and sets *written (data bytes written). */
static uint32_t execute(const struct hv_io_call *call, const struct vq_chain *c, uint32_t *written)
{
    struct blk_hdr hdr;
    const struct vq_seg *h = &c->seg[0];
    uint32_t nd, total;

    *written = 0;
    if (c->n < 2 || h->write || h->len != sizeof(hdr))
        return BLK_S_IOERR;
    if (fe_read(call, h->addr, &hdr, sizeof(hdr)) < 0)
        return BLK_S_IOERR;
    nd = c->n - 2;
    uint64_t sector = ((uint64_t)hdr.sector_hi << 32) | hdr.sector_lo;

    switch (hdr.type) {
    case BLK_T_IN:
    case BLK_T_OUT: {
        int in = hdr.type == BLK_T_IN;
        total = data_total(c, in);
        if (total == 0 || !in_capacity(call, sector, total / SECTOR))
            return BLK_S_IOERR;
        uint32_t status = transfer(call, in, sector, c, total);
        if (status == BLK_S_OK && in)
            *written = total;
        return status;
    }
    case BLK_T_FLUSH:
        if (nd != 0)
            return BLK_S_IOERR;
        if (blkctl_run(blkctl_slot(call), call->mode == HV_MODE_GRANT, call->unit, BLKCTL_CMD_FLUSH, 0, 0, 0) < 0)
            return BLK_S_IOERR;
        return BLK_S_OK;
    case BLK_T_GET_ID: {
        uint8_t id[BLK_ID_BYTES];
        if (nd != 1 || !c->seg[1].write || c->seg[1].len < BLK_ID_BYTES)
            return BLK_S_IOERR;
        make_id(call->unit, id);
        if (fe_write(call, c->seg[1].addr, id, BLK_ID_BYTES) < 0)
            return BLK_S_IOERR;
        *written = BLK_ID_BYTES;
        return BLK_S_OK;
    }
    default:
        return BLK_S_UNSUPP;
    }
}

static int blk_request(const struct hv_io_call *call, const struct vq_chain *c, uint32_t *used_len)
{
    const struct vq_seg *st = &c->seg[c->n - 1];
    uint32_t written;
    uint8_t status;

    *used_len = 0;
    if (!st->write || st->len != 1)
        return VQ_FATAL;   /* nowhere to put the status */
    status = (uint8_t)execute(call, c, &written);
    if (fe_write(call, st->addr, &status, 1) < 0)
        return VQ_FATAL;
    *used_len = written + 1;
    return status == BLK_S_OK ? VQ_DONE : VQ_ERROR;
}

void blk_notify(struct hv_io_call *call)
{
    if (call->device != VIRTIO_ID_BLOCK || call->queue != 0) {
        vq_nothing(call);
        return;
    }
    vq_process(call, blk_request);
}
