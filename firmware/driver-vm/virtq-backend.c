/* Split virtqueue, device side: snapshot the available ring and the descriptor table, walk each
 * chain with full validation, hand it to the device handler, publish the used entries. */
#include "virtq-backend.h"
#include "frontend-access.h"
#include "cmsis.h"

struct avail_snapshot {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[HV_VIRTIO_QUEUE_MAX];
};

struct desc {
    uint32_t addr_lo;
    uint32_t addr_hi;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
_Static_assert(sizeof(struct desc) == 16, "virtq descriptor is 16 bytes");

void vq_nothing(struct hv_io_call *call)
{
    call->result = 0;
    call->completed = 0;
    call->errors = 0;
}

static int queue_size_ok(uint32_t n)
{
    return n >= 1 && n <= HV_VIRTIO_QUEUE_MAX && (n & (n - 1)) == 0;
}

/* Fills *chain from the descriptor table snapshot; 0, or -1 for a structural error. */
static int walk(const struct desc *table, uint32_t qsize, uint32_t head, struct vq_chain *chain)
{
    uint32_t i = head;

    chain->head = head;
    chain->n = 0;
    for (;;) {
        const struct desc *d = &table[i];
        if (chain->n >= qsize)
            return -1;   /* longer than the queue, or a loop */
        if (d->flags & VIRTQ_DESC_F_INDIRECT)
            return -1;   /* VIRTIO_F_INDIRECT_DESC is not offered */
        struct vq_seg *s = &chain->seg[chain->n++];
        s->addr = d->addr_hi == 0 ? d->addr_lo : VQ_BAD_ADDR;
        s->len = d->len;
        s->write = (d->flags & VIRTQ_DESC_F_WRITE) != 0;
        if (!(d->flags & VIRTQ_DESC_F_NEXT))
            return 0;
        i = d->next;
        if (i >= qsize)
            return -1;
    }
}

void vq_process(struct hv_io_call *call, vq_handler handler)
{
    struct avail_snapshot avail;
    struct desc table[HV_VIRTIO_QUEUE_MAX];
    struct vq_chain chain;
    uint32_t qsize = call->queue_size;
    uint16_t last = (uint16_t)call->last_avail;
    uint16_t used = (uint16_t)call->used_idx;
    uint32_t pending;
    int fatal = 0;

    vq_nothing(call);
    if (call->magic != HV_CALL_MAGIC || !queue_size_ok(qsize)) {
        call->result = HV_RESULT_NEEDS_RESET;
        return;
    }

    /* flags, idx and the ring in one copy: the index is read no later than the entries. */
    if (fe_read(call, call->avail, &avail, 4 + 2 * qsize) < 0) {
        call->result = HV_RESULT_NEEDS_RESET;
        return;
    }
    pending = (uint16_t)(avail.idx - last);
    if (pending == 0)
        return;
    if (pending > qsize) {
        call->result = HV_RESULT_NEEDS_RESET;
        return;
    }
    for (uint32_t k = 0; k < pending; k++) {
        if (avail.ring[(uint16_t)(last + k) & (qsize - 1)] >= qsize) {
            call->result = HV_RESULT_NEEDS_RESET;
            return;
        }
    }
    /* The descriptor table after the index: the driver wrote it before publishing. */
    if (fe_read(call, call->desc, table, 16 * qsize) < 0) {
        call->result = HV_RESULT_NEEDS_RESET;
        return;
    }

    for (uint32_t k = 0; k < pending && !fatal; k++) {
        uint32_t head = avail.ring[last & (qsize - 1)];   /* last advances once per chain */
        uint32_t used_len = 0;
        struct {
            uint32_t id;
            uint32_t len;
        } elem;

        if (walk(table, qsize, head, &chain) < 0) {
            fatal = 1;
            break;
        }
        int r = handler(call, &chain, &used_len);
        if (r == VQ_FATAL) {
            fatal = 1;
            break;
        }
        elem.id = head;
        elem.len = used_len;
        if (fe_write(call, call->used + 4 + 8 * (used & (qsize - 1)), &elem, sizeof(elem)) < 0) {
            fatal = 1;
            break;
        }
        used++;
        last++;
        call->completed++;
        if (r != VQ_DONE)
            call->errors++;
    }

    if (call->completed) {
        __DMB();   /* the elements before the index that publishes them */
        if (fe_write(call, call->used + 2, &used, sizeof(used)) < 0)
            fatal = 1;
        else
            call->result |= HV_RESULT_NOTIFY;
    }
    call->last_avail = last;
    call->used_idx = used;
    if (fatal)
        call->result |= HV_RESULT_NEEDS_RESET;
}
