/* Split virtqueue (virtio 1.2 §2.7), driver side, in static guest RAM.
 * One struct virtq_mem per queue holds the descriptor table (16-byte aligned), the driver area
 * (available ring, 2-byte aligned) and the device area (used ring, 4-byte aligned), sized for
 * VIRTQ_MAX_SIZE entries; a queue may use fewer (num). */
#ifndef VIRTQUEUE_H
#define VIRTQUEUE_H

#include <stdint.h>
#include "hvlab-io.h"

#define VIRTQ_MAX_SIZE HV_VIRTIO_QUEUE_MAX

#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u
#define VIRTQ_DESC_F_INDIRECT 4u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[VIRTQ_MAX_SIZE];
    uint16_t used_event;
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[VIRTQ_MAX_SIZE];
    uint16_t avail_event;
};

struct virtq_mem {
    struct virtq_desc desc[VIRTQ_MAX_SIZE] __attribute__((aligned(16)));
    struct virtq_avail avail __attribute__((aligned(2)));
    struct virtq_used used __attribute__((aligned(4)));
} __attribute__((aligned(16)));

_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem is 8 bytes");

/* Driver state of one queue. */
struct virtq {
    uint32_t base;                  /* virtio-mmio transport */
    uint16_t index;                 /* queue index (QueueSel / QueueNotify value) */
    uint16_t num;                   /* queue size, a power of two <= VIRTQ_MAX_SIZE */
    volatile struct virtq_mem *mem;
    uint16_t free_head;             /* first free descriptor */
    uint16_t num_free;
    uint16_t avail_idx;             /* driver's copy of avail.idx */
    uint16_t last_used;             /* next used-ring index to collect */
    uint16_t next[VIRTQ_MAX_SIZE];  /* private copy of the links (free list and chains) */
    uint8_t chain_len[VIRTQ_MAX_SIZE]; /* descriptors in the chain headed here; 0 = not a head */
};

/* One buffer of a chain. */
struct virtq_buf {
    const void *addr;
    uint32_t len;
};

/* Zeroes the rings and builds the free list. num must be a power of two <= VIRTQ_MAX_SIZE. */
void virtq_init(struct virtq *vq, struct virtq_mem *mem, uint32_t base, unsigned index, unsigned num);

/* Adds a chain: `out` device-readable buffers, then `in` device-writable ones, and makes it
 * available (does not notify). Returns the head descriptor index, or VIRTIO_EINVAL/ENOSPC. */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned out, unsigned in);

/* Notifies the device (QueueNotify = queue index), after a barrier. */
void virtq_kick(const struct virtq *vq);

/* Nonzero when the device has used entries the driver has not collected. */
int virtq_used_pending(const struct virtq *vq);

/* Collects one used entry and frees its chain: returns the head and the written length, or
 * VIRTIO_ENOSPC when there is none, VIRTIO_EPROTO when the device named a descriptor that is
 * not the head of an outstanding chain (the entry is consumed). */
int virtq_get_used(struct virtq *vq, uint32_t *len);

/* Raw access for tests of misbehaving drivers (malfront): the caller builds descriptors
 * itself, outside the free-list bookkeeping, and re-initialises the queue afterwards. */
void virtq_set_desc(struct virtq *vq, unsigned i, uint32_t addr, uint32_t len, uint16_t flags, uint16_t next);
void virtq_publish(struct virtq *vq, uint16_t head);      /* ring[avail_idx % num] = head; avail.idx++ */
void virtq_set_avail_idx(struct virtq *vq, uint16_t idx); /* writes avail.idx as given */
int virtq_pop_used_raw(struct virtq *vq, uint32_t *id, uint32_t *len); /* 0, or VIRTIO_ENOSPC */

#endif
