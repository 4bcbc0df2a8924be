/* Frontend memory access: direct (range-checked copies) or grant (hypercalls). */
#include "frontend-access.h"
#include "hypercall.h"
#include "libc.h"

static int overlaps_window(uint32_t addr, uint32_t len)
{
    /* [addr, addr + len) with len > 0 and no wrap-around (checked by the caller). */
    return addr < HV_WINDOW_BASE + HV_WINDOW_SIZE && addr + len > HV_WINDOW_BASE;
}

int fe_direct_range_ok(const struct hv_io_call *call, uint32_t addr, uint32_t len)
{
    uint32_t count = call->ram_count < HV_MAX_RAM_RANGES ? call->ram_count : HV_MAX_RAM_RANGES;

    if (call->mode != HV_MODE_DIRECT || len == 0)
        return 0;
    if (addr + len < addr)
        return 0;   /* wraps around 4 GiB */
    if (overlaps_window(addr, len))
        return 0;   /* never the driver's own memory, whatever the ranges say */
    for (uint32_t i = 0; i < count; i++) {
        uint32_t base = call->ram[i].base, size = call->ram[i].size;
        /* addr - base and size - len cannot overflow once the comparisons before them hold */
        if (addr >= base && len <= size && addr - base <= size - len)
            return 1;
    }
    return 0;
}

int fe_read(const struct hv_io_call *call, uint32_t addr, void *local, uint32_t len)
{
    if (len == 0)
        return 0;
    if (call->mode == HV_MODE_GRANT)
        return hv_grant_copy_from(call->frontend, addr, local, len) == HV_GRANT_OK ? 0 : -1;
    if (!fe_direct_range_ok(call, addr, len))
        return -1;
    memcpy(local, (const void *)addr, len);
    return 0;
}

int fe_write(const struct hv_io_call *call, uint32_t addr, const void *local, uint32_t len)
{
    if (len == 0)
        return 0;
    if (call->mode == HV_MODE_GRANT)
        return hv_grant_copy_to(call->frontend, addr, local, len) == HV_GRANT_OK ? 0 : -1;
    if (!fe_direct_range_ok(call, addr, len))
        return -1;
    memcpy((void *)addr, local, len);
    return 0;
}
