/* virtio-mmio transport, version 2 registers (virtio 1.2 §4.2.2), driver side.
 * Used by the guest frontends (virtio-blk.c, virtio-console.c) and, at a lower level, by
 * malfront. Devices sit at the addresses hvlab-io.h gives (HV_VIRTIO_*_BASE). */
#ifndef VIRTIO_MMIO_H
#define VIRTIO_MMIO_H

#include <stdint.h>
#include "virtqueue.h"

/* Register offsets */
#define VIRTIO_MMIO_MAGIC_VALUE         0x000u
#define VIRTIO_MMIO_VERSION             0x004u
#define VIRTIO_MMIO_DEVICE_ID           0x008u
#define VIRTIO_MMIO_VENDOR_ID           0x00cu
#define VIRTIO_MMIO_DEVICE_FEATURES     0x010u
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014u
#define VIRTIO_MMIO_DRIVER_FEATURES     0x020u
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024u
#define VIRTIO_MMIO_QUEUE_SEL           0x030u
#define VIRTIO_MMIO_QUEUE_NUM_MAX       0x034u
#define VIRTIO_MMIO_QUEUE_NUM           0x038u
#define VIRTIO_MMIO_QUEUE_READY         0x044u
#define VIRTIO_MMIO_QUEUE_NOTIFY        0x050u
#define VIRTIO_MMIO_INTERRUPT_STATUS    0x060u
#define VIRTIO_MMIO_INTERRUPT_ACK       0x064u
#define VIRTIO_MMIO_STATUS              0x070u
#define VIRTIO_MMIO_QUEUE_DESC_LOW      0x080u
#define VIRTIO_MMIO_QUEUE_DESC_HIGH     0x084u
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW    0x090u
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH   0x094u
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW    0x0a0u
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH   0x0a4u
#define VIRTIO_MMIO_CONFIG_GENERATION   0x0fcu
#define VIRTIO_MMIO_CONFIG              0x100u

#define VIRTIO_MMIO_MAGIC   0x74726976u   /* "virt" */
#define VIRTIO_MMIO_VERSION_2 2u

/* Device IDs */
#define VIRTIO_ID_BLOCK   2u
#define VIRTIO_ID_CONSOLE 3u

/* Device status bits */
#define VIRTIO_STATUS_ACKNOWLEDGE        1u
#define VIRTIO_STATUS_DRIVER             2u
#define VIRTIO_STATUS_DRIVER_OK          4u
#define VIRTIO_STATUS_FEATURES_OK        8u
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED             128u

/* InterruptStatus bits */
#define VIRTIO_INT_USED   1u
#define VIRTIO_INT_CONFIG 2u

/* Feature bits (as 64-bit masks) */
#define VIRTIO_F_VERSION_1 (1ull << 32)

/* Negative results of the frontend library (virtio-blk status bytes are 0..2). */
#define VIRTIO_ENODEV      (-1)   /* no device / not initialised */
#define VIRTIO_ENEEDSRESET (-2)   /* the device set DEVICE_NEEDS_RESET */
#define VIRTIO_ETIMEDOUT   (-3)   /* no answer within the timeout (virtio_set_timeout_ms) */
#define VIRTIO_EFEATURES   (-4)   /* feature negotiation failed (FEATURES_OK did not stick) */
#define VIRTIO_EQUEUE      (-5)   /* queue unavailable or QueueReady did not stick */
#define VIRTIO_EPROTO      (-6)   /* the device answered something impossible */
#define VIRTIO_EINVAL      (-7)   /* bad argument */
#define VIRTIO_ENOSPC      (-8)   /* no free descriptors */

static inline uint32_t virtio_mmio_read(uint32_t base, uint32_t off)
{
    return *(volatile uint32_t *)(base + off);
}

static inline void virtio_mmio_write(uint32_t base, uint32_t off, uint32_t value)
{
    *(volatile uint32_t *)(base + off) = value;
}

/* 0 when base holds a version-2 virtio-mmio device with this device ID, else VIRTIO_ENODEV. */
int virtio_mmio_probe(uint32_t base, uint32_t device_id);

/* Writes 0 to Status and waits (bounded) until it reads back 0. */
void virtio_mmio_reset(uint32_t base);

/* Probe, reset, ACKNOWLEDGE, DRIVER, feature negotiation (accepts device & wanted; wanted must
 * include VIRTIO_F_VERSION_1, which the device must offer), FEATURES_OK and its check. On
 * failure sets FAILED and returns a negative error; *negotiated gets the accepted features. */
int virtio_mmio_begin(uint32_t base, uint32_t device_id, uint64_t wanted, uint64_t *negotiated);

/* Sets up queue `index` in `mem` with min(QueueNumMax, VIRTQ_MAX_SIZE) entries (rounded down to
 * a power of two) and makes it ready. */
int virtio_mmio_setup_queue(uint32_t base, struct virtq *vq, unsigned index, struct virtq_mem *mem);

/* Sets DRIVER_OK: the device is live. */
void virtio_mmio_driver_ok(uint32_t base);

uint32_t virtio_mmio_status(uint32_t base);
static inline int virtio_mmio_needs_reset(uint32_t base)
{
    return (virtio_mmio_status(base) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) != 0;
}

/* Reads InterruptStatus and acknowledges every bit set; returns what was set. */
uint32_t virtio_mmio_irq_ack(uint32_t base);

/* Device-specific configuration space (offset from 0x100), consistent via ConfigGeneration. */
uint32_t virtio_mmio_config_read32(uint32_t base, uint32_t offset);
uint64_t virtio_mmio_config_read64(uint32_t base, uint32_t offset);

/* Waits until vq has a used entry (0), the device needs a reset (VIRTIO_ENEEDSRESET) or the
 * timeout expires (VIRTIO_ETIMEDOUT). Sleeps with WFI; the device's interrupt (its handler
 * acknowledges InterruptStatus) or SysTick wakes it. Interrupts are enabled while waiting. */
int virtio_mmio_wait_used(uint32_t base, const struct virtq *vq);

/* Timeout of virtio_mmio_wait_used in milliseconds; 0 (the default) waits forever and leaves
 * SysTick alone. With a timeout, SysTick runs (10 ms ticks) only while waiting, and this
 * library owns SysTick_Handler. */
void virtio_set_timeout_ms(uint32_t ms);

#endif
