/* virtio-console backend (virtio 1.2 §5.3), port 0: the transmitq (queue 1). Each device-
 * readable buffer's bytes go to the console UART with CHANNEL = call->channel. Device-writable
 * buffers in the transmitq, unreadable buffers and output beyond CONSOLE_MAX_BYTES per chain
 * are errors of that request only (used length 0 either way: the device writes nothing).
 * The receiveq (queue 0) never gets input: its notifications do nothing. */
#include "driver.h"
#include "virtq-backend.h"
#include "frontend-access.h"
#include "hostuart.h"

#define CHUNK 64u
#define CONSOLE_MAX_BYTES 65536u

static int console_request(const struct hv_io_call *call, const struct vq_chain *c, uint32_t *used_len)
{
    uint32_t slot = hostuart_slot(call);
    uint32_t budget = CONSOLE_MAX_BYTES;
    uint8_t buf[CHUNK];
    int error = !slot;

    *used_len = 0;
    for (uint32_t i = 0; i < c->n && !error; i++) {
        const struct vq_seg *s = &c->seg[i];
        if (s->write || s->len > budget) {
            error = 1;
            break;
        }
        budget -= s->len;
        for (uint32_t off = 0; off < s->len; off += CHUNK) {
            uint32_t n = s->len - off < CHUNK ? s->len - off : CHUNK;
            if (s->addr + off < s->addr || fe_read(call, s->addr + off, buf, n) < 0) {
                error = 1;
                break;
            }
            hostuart_write(slot, call->channel, buf, n);
        }
    }
    return error ? VQ_ERROR : VQ_DONE;
}

void console_notify(struct hv_io_call *call)
{
    if (call->device != VIRTIO_ID_CONSOLE || call->queue != CONSOLE_TRANSMITQ) {
        vq_nothing(call);
        return;
    }
    vq_process(call, console_request);
}
