/* virtio-console frontend: port 0 output through the transmitq. */
#include "virtio-console.h"
#include "board.h"
#include "hvlab-io.h"
#include "libc.h"

_Static_assert(HV_VIRTIO_CONSOLE_IRQ == 15, "IRQ15_Handler below is the virtio-console handler");

#define BASE HV_VIRTIO_CONSOLE_BASE
#define TX_CHUNK 256u

static struct virtq_mem con_mem;
static struct virtq con_vq;
static uint8_t con_buf[TX_CHUNK] __attribute__((aligned(4)));
static int con_ready;
static int con_err;   /* why not ready (0: never initialised: VIRTIO_ENODEV) */
volatile uint32_t virtio_console_irq_count;

void IRQ15_Handler(void)
{
    virtio_mmio_irq_ack(BASE);
    virtio_console_irq_count++;
}

void virtio_console_reset(void)
{
    nvic_disable_irq(HV_VIRTIO_CONSOLE_IRQ);
    con_ready = 0;
    con_err = VIRTIO_ENODEV;
    if (virtio_mmio_probe(BASE, VIRTIO_ID_CONSOLE) == 0)
        virtio_mmio_reset(BASE);
    nvic_clear_pending(HV_VIRTIO_CONSOLE_IRQ);
}

int virtio_console_init(void)
{
    uint64_t features;
    int r;

    virtio_console_reset();
    r = virtio_mmio_begin(BASE, VIRTIO_ID_CONSOLE, VIRTIO_F_VERSION_1, &features);
    if (r < 0) {
        con_err = r;
        return r;
    }
    /* Only the transmitq: this frontend never reads the console. */
    r = virtio_mmio_setup_queue(BASE, &con_vq, VIRTIO_CONSOLE_TRANSMITQ, &con_mem);
    if (r < 0) {
        virtio_mmio_write(BASE, VIRTIO_MMIO_STATUS, virtio_mmio_status(BASE) | VIRTIO_STATUS_FAILED);
        con_err = r;
        return r;
    }
    virtio_mmio_driver_ok(BASE);
    virtio_mmio_irq_ack(BASE);
    nvic_clear_pending(HV_VIRTIO_CONSOLE_IRQ);
    nvic_enable_irq(HV_VIRTIO_CONSOLE_IRQ);
    con_ready = 1;
    return 0;
}

static int write_chunk(uint32_t len)
{
    struct virtq_buf buf = { con_buf, len };
    int head, r;

    head = virtq_add(&con_vq, &buf, 1, 0);
    if (head < 0)
        return head;
    virtq_kick(&con_vq);
    r = virtio_mmio_wait_used(BASE, &con_vq);
    if (r < 0) {
        con_ready = 0;
        con_err = r;
        return r;
    }
    if (virtq_get_used(&con_vq, 0) != head) {
        con_ready = 0;
        con_err = VIRTIO_EPROTO;
        return VIRTIO_EPROTO;
    }
    return 0;
}

int virtio_console_write(const void *buf, uint32_t len)
{
    const uint8_t *p = buf;

    while (len) {
        if (!con_ready)
            return con_err ? con_err : VIRTIO_ENODEV;
        uint32_t n = len < TX_CHUNK ? len : TX_CHUNK;
        memcpy(con_buf, p, n);
        int r = write_chunk(n);
        if (r < 0)
            return r;
        p += n;
        len -= n;
    }
    return 0;
}

int virtio_console_puts(const char *s)
{
    return virtio_console_write(s, strlen(s));
}
