/* Console UART driver. STATE is always 0 (never full), so DATA is written back to back. */
#include "hostuart.h"
#include "board.h"

uint32_t hostuart_slot(const struct hv_io_call *call)
{
    if (call->mode == HV_MODE_GRANT)
        return HV_HOSTUART_BASE + HV_DRIVER_VM_SLOT * HV_SLOT_STRIDE;
    uint32_t off = call->uart_slot - HV_HOSTUART_BASE;
    if (call->uart_slot < HV_HOSTUART_BASE || off % HV_SLOT_STRIDE != 0)
        return 0;
    uint32_t n = off / HV_SLOT_STRIDE;
    return n >= 1 && n <= HV_MAX_CORES ? call->uart_slot : 0;
}

void hostuart_write(uint32_t slot, uint32_t channel, const uint8_t *bytes, uint32_t len)
{
    if (!slot || !len)
        return;
    REG32(slot + HOSTUART_CHANNEL) = channel;
    while (len--)
        REG32(slot + HOSTUART_DATA) = *bytes++;
}
