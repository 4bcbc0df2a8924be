/* The physical block controller (hvlab-io.h: HV_BLKCTL_BASE, one register slot per context). */
#ifndef BLKCTL_H
#define BLKCTL_H

#include <stdint.h>
#include "hvlab-io.h"

/* The slot a call may use: slot 0 in grant mode (the driver VM), call->blk_slot in direct mode
 * if it is one of the per-core slots 1..HV_MAX_CORES; 0 if none. */
uint32_t blkctl_slot(const struct hv_io_call *call);

/* Runs one command (BLKCTL_CMD_*) on `unit` and waits for it: with the completion interrupt
 * (the driver VM, irq != 0) or by polling STATUS with WFI between polls (driver context, where
 * no interrupts are delivered). dma is an address in the issuing context. 0, or -1 on a device
 * error or timeout. */
int blkctl_run(uint32_t slot, int irq, uint32_t unit, uint32_t cmd, uint64_t sector, uint32_t count, uint32_t dma);

/* The driver VM: enable the completion interrupt of slot 0. */
void blkctl_init_vm(void);

#endif
