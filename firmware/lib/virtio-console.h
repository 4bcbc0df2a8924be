/* virtio-console frontend (virtio 1.2 §5.3), port 0 only, output only: the transmitq
 * (queue 1) of the virtio-mmio device at HV_VIRTIO_CONSOLE_BASE. Each write copies the bytes
 * into a buffer in SRAM, makes it available and waits (WFI) until the device has used it;
 * IRQ15_Handler (HV_VIRTIO_CONSOLE_IRQ) acknowledges InterruptStatus. */
#ifndef VIRTIO_CONSOLE_H
#define VIRTIO_CONSOLE_H

#include <stdint.h>
#include "virtio-mmio.h"

#define VIRTIO_CONSOLE_RECEIVEQ  0u
#define VIRTIO_CONSOLE_TRANSMITQ 1u

int virtio_console_init(void);          /* 0 or a negative VIRTIO_E* value */
void virtio_console_reset(void);
/* 0 when every byte was used by the device, else a negative VIRTIO_E* value. */
int virtio_console_write(const void *buf, uint32_t len);
int virtio_console_puts(const char *s);

extern volatile uint32_t virtio_console_irq_count;

#endif
