/* The driver VM's hypercalls (svc, arguments in r0-r3, result in r0); hvlab-io.h numbers them.
 * Only the driver VM itself may make them: never in a caller's context (mode DIRECT). */
#ifndef HYPERCALL_H
#define HYPERCALL_H

#include <stdint.h>
#include "hvlab-io.h"

#define HV_HYPERCALL(nr, a0, a1, a2, a3)                                                   \
    __extension__({                                                                        \
        register uint32_t r0_ __asm("r0") = (uint32_t)(a0);                                \
        register uint32_t r1_ __asm("r1") = (uint32_t)(a1);                                \
        register uint32_t r2_ __asm("r2") = (uint32_t)(a2);                                \
        register uint32_t r3_ __asm("r3") = (uint32_t)(a3);                                \
        __asm volatile("svc %4" : "+r"(r0_), "+r"(r1_), "+r"(r2_), "+r"(r3_) : "I"(nr) : "memory"); \
        (int32_t)r0_;                                                                      \
    })

/* Frontend memory -> driver VM memory; 0 or negative (HV_GRANT_DENIED). */
static inline int32_t hv_grant_copy_from(uint32_t frontend, uint32_t addr, void *local, uint32_t len)
{
    return HV_HYPERCALL(HV_SVC_GRANT_COPY_FROM, frontend, addr, local, len);
}

/* Driver VM memory -> frontend memory; 0 or negative. */
static inline int32_t hv_grant_copy_to(uint32_t frontend, uint32_t addr, const void *local, uint32_t len)
{
    return HV_HYPERCALL(HV_SVC_GRANT_COPY_TO, frontend, addr, local, len);
}

/* Reports a processed event (the record's last_avail, used_idx, completed, errors, result). */
static inline void hv_queue_state(const struct hv_io_call *call)
{
    (void)HV_HYPERCALL(HV_SVC_QUEUE_STATE, call, 0, 0, 0);
}

static inline void hv_ready(void)
{
    (void)HV_HYPERCALL(HV_SVC_READY, 0, 0, 0, 0);
}

#endif
