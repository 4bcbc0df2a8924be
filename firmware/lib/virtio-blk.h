/* virtio-blk frontend (virtio 1.2 §5.2) on the virtio-mmio device at HV_VIRTIO_BLK_BASE.
 * One request in flight; each is a three-descriptor chain: the 16-byte header
 * (device-readable), the data, and the 1-byte status (device-writable). The caller waits with
 * WFI; IRQ14_Handler (HV_VIRTIO_BLK_IRQ) acknowledges InterruptStatus. */
#ifndef VIRTIO_BLK_H
#define VIRTIO_BLK_H

#include <stdint.h>
#include "virtio-mmio.h"

#define VIRTIO_BLK_SECTOR_SIZE 512u
#define VIRTIO_BLK_ID_BYTES    20u
#define VIRTIO_BLK_F_FLUSH     (1ull << 9)

#define VIRTIO_BLK_T_IN     0u
#define VIRTIO_BLK_T_OUT    1u
#define VIRTIO_BLK_T_FLUSH  4u
#define VIRTIO_BLK_T_GET_ID 8u

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

struct virtio_blk_req_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector;
};

/* All requests return the status byte (VIRTIO_BLK_S_*) or a negative VIRTIO_E* value; after
 * VIRTIO_ENEEDSRESET or VIRTIO_ETIMEDOUT every request fails until virtio_blk_init again. */

/* Negotiates VIRTIO_F_VERSION_1 (+ VIRTIO_BLK_F_FLUSH when offered), sets up queue 0,
 * DRIVER_OK, enables the interrupt. Resets the device first, so it also re-initialises. */
int virtio_blk_init(void);
void virtio_blk_reset(void);            /* Status = 0, interrupt off; init again to use it */
uint64_t virtio_blk_capacity(void);     /* in 512-byte sectors (configuration space) */
uint64_t virtio_blk_features(void);     /* negotiated */

/* bytes: a nonzero multiple of 512. Buffers should be in SRAM (0x20000000): the device only
 * accepts buffers inside the RAM the hypervisor gives the guest. */
int virtio_blk_read(uint64_t sector, void *buf, uint32_t bytes);
int virtio_blk_write(uint64_t sector, const void *buf, uint32_t bytes);
int virtio_blk_flush(void);             /* UNSUPP without VIRTIO_BLK_F_FLUSH (nothing sent) */
int virtio_blk_get_id(char id[VIRTIO_BLK_ID_BYTES + 1]);  /* NUL-terminated on OK */

/* Any request type, no argument checks: data (len bytes, none if 0) is device-writable for
 * IN and GET_ID, device-readable otherwise. */
int virtio_blk_request(uint32_t type, uint64_t sector, void *data, uint32_t len);

/* For tests that build their own chains on the queue (malfront). */
struct virtq *virtio_blk_queue(void);
extern volatile uint32_t virtio_blk_irq_count;

#endif
