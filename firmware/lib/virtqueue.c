/* Split virtqueue, driver side. The device only reads the descriptor table and the available
 * ring and only writes the used ring; the driver keeps its own copy of the descriptor links
 * (vq->next) so a device that rewrote descriptors could not corrupt the free list. */
#include "virtqueue.h"
#include "virtio-mmio.h"
#include "cmsis.h"
#include "libc.h"

void virtq_init(struct virtq *vq, struct virtq_mem *mem, uint32_t base, unsigned index, unsigned num)
{
    memset(mem, 0, sizeof(*mem));
    memset(vq, 0, sizeof(*vq));
    vq->base = base;
    vq->index = (uint16_t)index;
    vq->num = (uint16_t)num;
    vq->mem = mem;
    for (unsigned i = 0; i < num; i++)
        vq->next[i] = (uint16_t)(i + 1 < num ? i + 1 : 0);
    vq->free_head = 0;
    vq->num_free = (uint16_t)num;
}

void virtq_set_desc(struct virtq *vq, unsigned i, uint32_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    volatile struct virtq_desc *d = &vq->mem->desc[i % VIRTQ_MAX_SIZE];
    d->addr = addr;
    d->len = len;
    d->flags = flags;
    d->next = next;
}

void virtq_publish(struct virtq *vq, uint16_t head)
{
    vq->mem->avail.ring[vq->avail_idx & (vq->num - 1)] = head;
    __DMB();   /* the ring entry before the index that publishes it (§2.7.13) */
    vq->avail_idx++;
    vq->mem->avail.idx = vq->avail_idx;
}

void virtq_set_avail_idx(struct virtq *vq, uint16_t idx)
{
    __DMB();
    vq->avail_idx = idx;
    vq->mem->avail.idx = idx;
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned out, unsigned in)
{
    unsigned n = out + in;

    if (n == 0 || n > vq->num)
        return VIRTIO_EINVAL;
    if (n > vq->num_free)
        return VIRTIO_ENOSPC;

    uint16_t head = vq->free_head;
    uint16_t d = head;
    for (unsigned i = 0; i < n; i++) {
        uint16_t flags = i >= out ? VIRTQ_DESC_F_WRITE : 0;
        uint16_t link = vq->next[d];
        if (i + 1 < n)
            flags |= VIRTQ_DESC_F_NEXT;
        virtq_set_desc(vq, d, (uint32_t)bufs[i].addr, bufs[i].len, flags, i + 1 < n ? link : 0);
        if (i + 1 < n)
            d = link;
        else
            vq->free_head = link;
    }
    vq->num_free = (uint16_t)(vq->num_free - n);
    vq->chain_len[head] = (uint8_t)n;
    __DMB();   /* descriptors before the ring entry */
    virtq_publish(vq, head);
    return head;
}

void virtq_kick(const struct virtq *vq)
{
    __DSB();   /* the available ring is in memory before the device looks */
    virtio_mmio_write(vq->base, VIRTIO_MMIO_QUEUE_NOTIFY, vq->index);
}

int virtq_used_pending(const struct virtq *vq)
{
    return vq->mem->used.idx != vq->last_used;
}

int virtq_pop_used_raw(struct virtq *vq, uint32_t *id, uint32_t *len)
{
    if (!virtq_used_pending(vq))
        return VIRTIO_ENOSPC;
    __DMB();   /* used.idx before the element it covers */
    volatile struct virtq_used_elem *e = &vq->mem->used.ring[vq->last_used & (vq->num - 1)];
    *id = e->id;
    *len = e->len;
    vq->last_used++;
    return 0;
}

int virtq_get_used(struct virtq *vq, uint32_t *len)
{
    uint32_t id, written;
    int r = virtq_pop_used_raw(vq, &id, &written);
    if (r < 0)
        return r;
    if (id >= vq->num || vq->chain_len[id] == 0)
        return VIRTIO_EPROTO;

    /* The chain's links in vq->next are still the free-list links it was taken with. */
    unsigned n = vq->chain_len[id];
    uint16_t last = (uint16_t)id;
    for (unsigned i = 1; i < n; i++)
        last = vq->next[last];
    vq->next[last] = vq->free_head;
    vq->free_head = (uint16_t)id;
    vq->num_free = (uint16_t)(vq->num_free + n);
    vq->chain_len[id] = 0;
    if (len)
        *len = written;
    return (int)id;
}
