/* The console UART (hvlab-io.h: HV_HOSTUART_BASE, one slot per context): bytes written to DATA
 * go to the console of the frontend selected by CHANNEL. */
#ifndef HOSTUART_H
#define HOSTUART_H

#include <stdint.h>
#include "hvlab-io.h"

/* Slot 0 in grant mode, call->uart_slot in direct mode if it is a per-core slot; 0 if none. */
uint32_t hostuart_slot(const struct hv_io_call *call);

void hostuart_write(uint32_t slot, uint32_t channel, const uint8_t *bytes, uint32_t len);

#endif
