/* The only way the driver reaches a frontend's memory. Two modes, chosen by call->mode:
 *   HV_MODE_DIRECT  driver code runs in the caller's context: the frontend's RAM is mapped;
 *                   an access must lie entirely inside one of call->ram[] (no wrap-around, not
 *                   in the driver window) and is then a plain copy.
 *   HV_MODE_GRANT   the driver VM: the frontend's RAM is not mapped; the hypervisor copies
 *                   (HV_SVC_GRANT_COPY_FROM/TO) and checks the range itself.
 * Local buffers must be in the driver window (stack, .bss, bounce buffer). */
#ifndef FRONTEND_ACCESS_H
#define FRONTEND_ACCESS_H

#include <stdint.h>
#include "hvlab-io.h"

/* 0, or -1 when the range is not the frontend's or the copy failed. */
int fe_read(const struct hv_io_call *call, uint32_t addr, void *local, uint32_t len);
int fe_write(const struct hv_io_call *call, uint32_t addr, const void *local, uint32_t len);

/* DIRECT mode only: 1 when [addr, addr + len) is inside one RAM range of the frontend (so the
 * block controller may DMA there), else 0. Always 0 in GRANT mode. */
int fe_direct_range_ok(const struct hv_io_call *call, uint32_t addr, uint32_t len);

#endif
