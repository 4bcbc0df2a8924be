/* Device side of a split virtqueue (virtio 1.2 §2.7), the same rules as hv/io/guest-queue.ts.
 * Structural errors make the queue unusable (HV_RESULT_NEEDS_RESET, processing stops):
 *   queue_size not a power of two in 1..HV_VIRTIO_QUEUE_MAX, rings outside the frontend's RAM,
 *   avail.idx more than queue_size ahead of last_avail, a descriptor index >= queue_size,
 *   a chain longer than queue_size (this also catches loops), VIRTQ_DESC_F_INDIRECT,
 *   and a request the device handler cannot answer at all (VQ_FATAL).
 * Anything else wrong with a request is the handler's business: it answers with a status. */
#ifndef VIRTQ_BACKEND_H
#define VIRTQ_BACKEND_H

#include <stdint.h>
#include "hvlab-io.h"

#define VIRTQ_DESC_F_NEXT     1u
#define VIRTQ_DESC_F_WRITE    2u
#define VIRTQ_DESC_F_INDIRECT 4u

/* An address no frontend RAM can have: descriptors above 4 GiB get it. */
#define VQ_BAD_ADDR 0xffffffffu

struct vq_seg {
    uint32_t addr;
    uint32_t len;
    uint32_t write;   /* device-writable */
};

struct vq_chain {
    uint32_t head;
    uint32_t n;
    struct vq_seg seg[HV_VIRTIO_QUEUE_MAX];
};

/* Handler results */
#define VQ_DONE  0    /* answered, no error */
#define VQ_ERROR 1    /* answered with an error status (counted in call->errors) */
#define VQ_FATAL (-1) /* cannot be answered: the device needs a reset */

/* Handles one request; sets *used_len to the bytes it wrote into the chain's buffers. */
typedef int (*vq_handler)(const struct hv_io_call *call, const struct vq_chain *chain, uint32_t *used_len);

/* Clears result, completed and errors, then processes every available chain of the queue the
 * record names, starting at call->last_avail; updates last_avail, used_idx, completed, errors
 * and result (HV_RESULT_NOTIFY when the used ring advanced). */
void vq_process(struct hv_io_call *call, vq_handler handler);

/* Clears result, completed and errors only (a notification with nothing to do). */
void vq_nothing(struct hv_io_call *call);

#endif
