/*
 * hvlab I/O interface: the contract between the hypervisor (TypeScript, hv/io/), guest frontends
 * (firmware/lib/virtio-*.c) and the driver VM (firmware/driver-vm/). Every address, register
 * offset and structure layout the three sides share is here; hv/io/layout.ts mirrors it.
 *
 * Guest side (each guest's board, hvlab extensions in a region QEMU leaves empty):
 *   virtio-blk      virtio-mmio v2 at HV_VIRTIO_BLK_BASE,     NVIC IRQ HV_VIRTIO_BLK_IRQ
 *   virtio-console  virtio-mmio v2 at HV_VIRTIO_CONSOLE_BASE, NVIC IRQ HV_VIRTIO_CONSOLE_IRQ
 *
 * Driver side (only the driver VM, and the driver code while it runs in a caller's context):
 *   driver window   HV_WINDOW_BASE .. +HV_WINDOW_SIZE: the driver VM's whole image (vectors,
 *                   interface table at HV_INTERFACE_ADDR, code, data, stacks)
 *   block controller  HV_BLKCTL_BASE, one register slot per context (HV_SLOT_STRIDE apart):
 *                   slot 0 = the driver VM, slot 1 + n = driver code running on core n
 *   console UART    HV_HOSTUART_BASE, slots as above; bytes go to the console of CHANNEL
 */
#ifndef HVLAB_IO_H
#define HVLAB_IO_H

#include <stdint.h>

/* ---- guest-visible virtio devices ---- */
#define HV_VIRTIO_BLK_BASE      0x40100000u
#define HV_VIRTIO_CONSOLE_BASE  0x40100200u
#define HV_VIRTIO_BLK_IRQ       14
#define HV_VIRTIO_CONSOLE_IRQ   15
#define HV_VIRTIO_QUEUE_MAX     16      /* QueueNumMax of every queue */
#define HV_VIRTIO_BLK_MAX_BYTES 65536u  /* largest data length of one request */

/* ---- the driver window ---- */
#define HV_WINDOW_BASE          0x60000000u
#define HV_WINDOW_SIZE          0x00100000u
#define HV_INTERFACE_ADDR       0x60000400u
#define HV_INTERFACE_MAGIC      0x49445648u   /* "HVDI" */
#define HV_INTERFACE_VERSION    1u
#define HV_MAX_CORES            8
#define HV_MAX_FRONTENDS        8
/* In driver context, the interface function returns to this address; fetching it (an unmapped
 * address) tells the hypervisor the call is over. */
#define HV_CALL_RETURN_ADDR     0x6ffffff0u

/* ---- physical devices ---- */
#define HV_BLKCTL_BASE          0x40110000u
#define HV_HOSTUART_BASE        0x40118000u
#define HV_SLOT_STRIDE          0x100u
#define HV_DRIVER_VM_SLOT       0u
#define HV_BLKCTL_IRQ           26      /* slot 0 completion, in the driver VM */
#define HV_EVTCHN_IRQ           25      /* hypervisor events for the driver VM (split path) */

/* Block controller registers (offsets in a slot). */
#define BLKCTL_ID               0x00u   /* RO 0x43425648 "HVBC" */
#define BLKCTL_UNITS            0x04u   /* RO number of disks */
#define BLKCTL_UNIT             0x08u   /* RW disk the next command uses */
#define BLKCTL_CAPACITY_LO      0x0cu   /* RO sectors of UNIT */
#define BLKCTL_CAPACITY_HI      0x10u
#define BLKCTL_SECTOR_LO        0x14u   /* RW first sector */
#define BLKCTL_SECTOR_HI        0x18u
#define BLKCTL_COUNT            0x1cu   /* RW sectors */
#define BLKCTL_DMA_ADDR         0x20u   /* RW buffer address in the issuing context */
#define BLKCTL_COMMAND          0x24u   /* WO starts a command */
#define BLKCTL_STATUS           0x28u   /* RO */
#define BLKCTL_INT_ENABLE       0x2cu   /* RW bit 0 */
#define BLKCTL_INT_STATUS       0x30u   /* RW1C bit 0: command completed */
#define BLKCTL_ID_VALUE         0x43425648u
#define BLKCTL_CMD_READ         1u
#define BLKCTL_CMD_WRITE        2u
#define BLKCTL_CMD_FLUSH        3u
#define BLKCTL_STATUS_BUSY      (1u << 0)
#define BLKCTL_STATUS_DONE      (1u << 1)
#define BLKCTL_STATUS_ERROR     (1u << 2)
#define BLKCTL_ERROR_CODE(s)    (((s) >> 8) & 0xffu)  /* 1 bad unit, 2 out of range, 3 DMA fault, 4 busy, 5 bad command */

/* Console UART registers (offsets in a slot). */
#define HOSTUART_DATA           0x00u   /* WO one byte to CHANNEL's console */
#define HOSTUART_STATE          0x04u   /* RO always 0 (never full) */
#define HOSTUART_CHANNEL        0x08u   /* RW frontend index whose console gets the bytes */

/* ---- the call record: one per core, in the driver window ----
 * The hypervisor fills it before calling an interface function in a caller's context, and
 * passes its address in r0. In the split path the same record arrives through the mailbox. */
struct hv_ram_range {
    uint32_t base;
    uint32_t size;
};

#define HV_MAX_RAM_RANGES 4
#define HV_MODE_DIRECT    0u   /* buffers are addressable: driver code runs in the caller's context */
#define HV_MODE_GRANT     1u   /* buffers are reached through grant-copy hypercalls (split path) */

/* result bits */
#define HV_RESULT_NOTIFY        (1u << 0)   /* used ring advanced: interrupt the frontend */
#define HV_RESULT_NEEDS_RESET   (1u << 1)   /* the queue is corrupt: set DEVICE_NEEDS_RESET */

struct hv_io_call {
    uint32_t magic;         /* HV_CALL_MAGIC */
    uint32_t mode;          /* HV_MODE_DIRECT or HV_MODE_GRANT */
    uint32_t device;        /* virtio device id: 2 block, 3 console */
    uint32_t frontend;      /* frontend (guest) index, < HV_MAX_FRONTENDS */
    uint32_t queue;         /* queue index that was notified */
    uint32_t queue_size;    /* QueueNum (a power of two <= HV_VIRTIO_QUEUE_MAX) */
    uint32_t desc;          /* guest addresses of the descriptor table, driver and device areas */
    uint32_t avail;
    uint32_t used;
    uint32_t last_avail;    /* in/out: next available-ring index the device will read */
    uint32_t used_idx;      /* in/out: device's used-ring index */
    uint32_t features;      /* negotiated feature bits 0-31 */
    uint32_t ram_count;     /* valid buffer ranges of the frontend */
    struct hv_ram_range ram[HV_MAX_RAM_RANGES];
    uint32_t blk_slot;      /* block controller slot base address for this context */
    uint32_t uart_slot;     /* console UART slot base address for this context */
    uint32_t unit;          /* block controller unit (disk) of this frontend */
    uint32_t capacity_lo;   /* disk size in sectors */
    uint32_t capacity_hi;
    uint32_t channel;       /* console channel of this frontend */
    uint32_t result;        /* out: HV_RESULT_* */
    uint32_t completed;     /* out: requests completed by this call */
    uint32_t errors;        /* out: requests answered with an error status */
    uint32_t generation;    /* split path: changes when the frontend (re)configures the queue; the
                               driver VM keeps its own last_avail/used_idx per frontend queue and
                               takes the record's values only when the generation changes */
};
#define HV_CALL_MAGIC 0x4c4c4143u   /* "CALL" */

/* ---- the interface table the driver VM publishes at HV_INTERFACE_ADDR ---- */
struct hv_driver_interface {
    uint32_t magic;             /* HV_INTERFACE_MAGIC */
    uint32_t version;           /* HV_INTERFACE_VERSION */
    uint32_t calls;             /* address of struct hv_io_call[HV_MAX_CORES] */
    uint32_t stacks_top;        /* core n's driver stack is [stacks_top - (n+1)*stack_size, stacks_top - n*stack_size) */
    uint32_t stack_size;
    uint32_t blk_notify;        /* void blk_notify(struct hv_io_call *) (Thumb address) */
    uint32_t console_notify;    /* void console_notify(struct hv_io_call *) */
    uint32_t mailbox;           /* address of struct hv_mailbox (split path) */
};

/* ---- split path: the mailbox the hypervisor fills, and the driver VM's hypercalls ---- */
#define HV_MAILBOX_SLOTS 16
struct hv_mailbox {
    volatile uint32_t head;     /* written by the hypervisor */
    volatile uint32_t tail;     /* written by the driver VM */
    struct hv_io_call events[HV_MAILBOX_SLOTS];
};

/* SVC numbers the hypervisor handles for the driver VM (arguments in r0-r3, result in r0). */
#define HV_SVC_GRANT_COPY_FROM  0x40   /* r0 frontend, r1 frontend address, r2 local address, r3 length */
#define HV_SVC_GRANT_COPY_TO    0x41   /* r0 frontend, r1 frontend address, r2 local address, r3 length */
#define HV_SVC_QUEUE_STATE      0x42   /* r0 = address of an hv_io_call (in the driver VM) with the updated
                                          last_avail, used_idx, completed, errors and result: the
                                          hypervisor records them and, for HV_RESULT_NOTIFY, interrupts
                                          the frontend (the event channel back to it) */
#define HV_SVC_READY            0x43   /* the driver VM is initialised */
#define HV_GRANT_OK             0
#define HV_GRANT_DENIED         (-1)

#endif
