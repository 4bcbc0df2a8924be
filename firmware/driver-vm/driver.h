/* The driver VM: shared declarations. Everything here lives in the driver window
 * (HV_WINDOW_BASE, HV_WINDOW_SIZE), laid out by driver-vm.ld. */
#ifndef DRIVER_H
#define DRIVER_H

#include <stdint.h>
#include "hvlab-io.h"

#define DRIVER_STACK_SIZE 0x800u   /* per core, for interface calls in a caller's context */
#define MAIN_STACK_SIZE   0x1000u  /* the driver VM's own MSP stack */

#define VIRTIO_ID_BLOCK   2u
#define VIRTIO_ID_CONSOLE 3u
#define CONSOLE_TRANSMITQ 1u

/* Shared with the hypervisor (interface.c): never zeroed by the driver VM. */
extern struct hv_io_call hv_calls[HV_MAX_CORES];
extern struct hv_mailbox hv_mailbox;
extern uint8_t hv_driver_stacks[HV_MAX_CORES * DRIVER_STACK_SIZE];
extern uint8_t hv_main_stack[MAIN_STACK_SIZE];

/* The interface functions (also used by the driver VM's event loop in grant mode). Both take
 * the call record, process the queue it names and write back last_avail, used_idx, result,
 * completed and errors. */
void blk_notify(struct hv_io_call *call);
void console_notify(struct hv_io_call *call);

void driver_main(void) __attribute__((noreturn));
void evtchn_irq_handler(void);
void blkctl_irq_handler(void);

#endif
