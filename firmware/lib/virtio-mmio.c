/* virtio-mmio (version 2) transport, driver side: probe, status handshake, feature
 * negotiation, queue setup, interrupt acknowledge, configuration space, waiting. */
#include "virtio-mmio.h"
#include "board.h"

#define RESET_POLLS 1000u
#define CONFIG_RETRIES 16u
#define TICK_MS 10u

/* ---- probing an address that may not be mapped ----
 * Without a device the board may fault on the access: the first read of a probe runs with
 * BusFault enabled and a handler that skips the faulting load, which then reads as 0. */

static volatile uint32_t probing;
void virtio_busfault(uint32_t *frame);

static uint32_t probe_read(uint32_t addr)
{
    uint32_t value = 0;   /* what a skipped load leaves */
    __asm volatile("ldr %0, [%1]" : "+r"(value) : "r"(addr) : "memory");
    return value;
}

void virtio_busfault(uint32_t *frame)
{
    if (!probing)
        for (;;)
            ;   /* not ours: stop quietly, like Default_Handler */
    uint16_t insn = *(const uint16_t *)frame[6];
    frame[6] += (insn & 0xf800u) >= 0xe800u ? 4u : 2u;   /* 32- or 16-bit Thumb */
    SCB_CFSR = 0xff00u;   /* clear the BusFault status (write 1 to clear) */
}

__attribute__((naked)) void BusFault_Handler(void)
{
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "b virtio_busfault\n");
}

int virtio_mmio_probe(uint32_t base, uint32_t device_id)
{
    uint32_t shcsr = SCB_SHCSR;
    SCB_SHCSR = shcsr | SHCSR_BUSFAULTENA;
    __DSB();
    __ISB();
    probing = 1;
    uint32_t magic = probe_read(base + VIRTIO_MMIO_MAGIC_VALUE);
    probing = 0;
    SCB_SHCSR = shcsr;
    __DSB();
    __ISB();
    if (magic != VIRTIO_MMIO_MAGIC)
        return VIRTIO_ENODEV;
    if (virtio_mmio_read(base, VIRTIO_MMIO_VERSION) != VIRTIO_MMIO_VERSION_2)
        return VIRTIO_ENODEV;
    if (virtio_mmio_read(base, VIRTIO_MMIO_DEVICE_ID) != device_id)
        return VIRTIO_ENODEV;
    return 0;
}

void virtio_mmio_reset(uint32_t base)
{
    virtio_mmio_write(base, VIRTIO_MMIO_STATUS, 0);
    /* §4.2.3.1: wait for Status to read back 0 before reinitialising. */
    for (unsigned i = 0; i < RESET_POLLS && virtio_mmio_read(base, VIRTIO_MMIO_STATUS) != 0; i++)
        ;
}

uint32_t virtio_mmio_status(uint32_t base)
{
    return virtio_mmio_read(base, VIRTIO_MMIO_STATUS);
}

static int fail(uint32_t base, uint32_t status, int err)
{
    virtio_mmio_write(base, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_FAILED);
    return err;
}

int virtio_mmio_begin(uint32_t base, uint32_t device_id, uint64_t wanted, uint64_t *negotiated)
{
    uint32_t status;
    uint64_t offered, accepted;
    int r = virtio_mmio_probe(base, device_id);

    *negotiated = 0;
    if (r < 0)
        return r;
    virtio_mmio_reset(base);
    status = VIRTIO_STATUS_ACKNOWLEDGE;
    virtio_mmio_write(base, VIRTIO_MMIO_STATUS, status);
    status |= VIRTIO_STATUS_DRIVER;
    virtio_mmio_write(base, VIRTIO_MMIO_STATUS, status);

    virtio_mmio_write(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
    offered = (uint64_t)virtio_mmio_read(base, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
    virtio_mmio_write(base, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    offered |= virtio_mmio_read(base, VIRTIO_MMIO_DEVICE_FEATURES);
    accepted = offered & wanted;
    if (!(accepted & VIRTIO_F_VERSION_1))
        return fail(base, status, VIRTIO_EFEATURES);

    virtio_mmio_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    virtio_mmio_write(base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)accepted);
    virtio_mmio_write(base, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
    virtio_mmio_write(base, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(accepted >> 32));

    status |= VIRTIO_STATUS_FEATURES_OK;
    virtio_mmio_write(base, VIRTIO_MMIO_STATUS, status);
    if (!(virtio_mmio_read(base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK))
        return fail(base, status & ~VIRTIO_STATUS_FEATURES_OK, VIRTIO_EFEATURES);

    *negotiated = accepted;
    return 0;
}

int virtio_mmio_setup_queue(uint32_t base, struct virtq *vq, unsigned index, struct virtq_mem *mem)
{
    uint32_t max, num;

    virtio_mmio_write(base, VIRTIO_MMIO_QUEUE_SEL, index);
    if (virtio_mmio_read(base, VIRTIO_MMIO_QUEUE_READY) != 0)
        return VIRTIO_EQUEUE;
    max = virtio_mmio_read(base, VIRTIO_MMIO_QUEUE_NUM_MAX);
    if (max == 0)
        return VIRTIO_EQUEUE;
    num = max < VIRTQ_MAX_SIZE ? max : VIRTQ_MAX_SIZE;
    while (num & (num - 1))
        num &= num - 1;   /* round down to a power of two */

    virtq_init(vq, mem, base, index, num);
    virtio_mmio_write(base, VIRTIO_MMIO_QUEUE_NUM, num);
    virtio_mmio_write(base, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)&mem->desc[0]);
    virtio_mmio_write(base, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
    virtio_mmio_write(base, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)&mem->avail);
    virtio_mmio_write(base, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, 0);
    virtio_mmio_write(base, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)&mem->used);
    virtio_mmio_write(base, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0);
    __DSB();   /* the zeroed rings are in memory before the queue goes live */
    virtio_mmio_write(base, VIRTIO_MMIO_QUEUE_READY, 1);
    if (virtio_mmio_read(base, VIRTIO_MMIO_QUEUE_READY) != 1)
        return VIRTIO_EQUEUE;
    return 0;
}

void virtio_mmio_driver_ok(uint32_t base)
{
    uint32_t status = virtio_mmio_read(base, VIRTIO_MMIO_STATUS) & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    virtio_mmio_write(base, VIRTIO_MMIO_STATUS, status | VIRTIO_STATUS_DRIVER_OK);
}

uint32_t virtio_mmio_irq_ack(uint32_t base)
{
    uint32_t pending = virtio_mmio_read(base, VIRTIO_MMIO_INTERRUPT_STATUS);
    if (pending)
        virtio_mmio_write(base, VIRTIO_MMIO_INTERRUPT_ACK, pending);
    return pending;
}

uint32_t virtio_mmio_config_read32(uint32_t base, uint32_t offset)
{
    uint32_t gen, value;
    unsigned tries = 0;
    do {
        gen = virtio_mmio_read(base, VIRTIO_MMIO_CONFIG_GENERATION);
        value = virtio_mmio_read(base, VIRTIO_MMIO_CONFIG + offset);
    } while (gen != virtio_mmio_read(base, VIRTIO_MMIO_CONFIG_GENERATION) && ++tries < CONFIG_RETRIES);
    return value;
}

uint64_t virtio_mmio_config_read64(uint32_t base, uint32_t offset)
{
    uint32_t gen, lo, hi;
    unsigned tries = 0;
    do {
        gen = virtio_mmio_read(base, VIRTIO_MMIO_CONFIG_GENERATION);
        lo = virtio_mmio_read(base, VIRTIO_MMIO_CONFIG + offset);
        hi = virtio_mmio_read(base, VIRTIO_MMIO_CONFIG + offset + 4);
    } while (gen != virtio_mmio_read(base, VIRTIO_MMIO_CONFIG_GENERATION) && ++tries < CONFIG_RETRIES);
    return ((uint64_t)hi << 32) | lo;
}

/* ---- waiting, with an optional SysTick timeout ---- */

static uint32_t timeout_ticks;          /* 0: wait forever */
static volatile uint32_t systick_count;

void virtio_set_timeout_ms(uint32_t ms)
{
    timeout_ticks = ms ? (ms + TICK_MS - 1) / TICK_MS : 0;
}

void SysTick_Handler(void)
{
    systick_count++;
}

int virtio_mmio_wait_used(uint32_t base, const struct virtq *vq)
{
    int ret = 0;
    uint32_t primask = __get_PRIMASK();

    if (virtq_used_pending(vq))
        return 0;   /* the common case when the device answered during the notify */

    if (timeout_ticks) {
        systick_count = 0;
        SYST_CSR = 0;
        SYST_RVR = SYSCLK_HZ / 1000u * TICK_MS - 1u;
        SYST_CVR = 0;
        SYST_CSR = SYST_CSR_ENABLE | SYST_CSR_TICKINT | SYST_CSR_CLKSOURCE;
    }

    /* Race-free sleep: with PRIMASK set, a pending interrupt still ends WFI; the handler then
     * runs when PRIMASK clears, and the conditions are checked again with it set. */
    __disable_irq();
    for (;;) {
        if (virtq_used_pending(vq))
            break;
        if (virtio_mmio_read(base, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) {
            ret = VIRTIO_ENEEDSRESET;
            break;
        }
        if (timeout_ticks && systick_count >= timeout_ticks) {
            ret = VIRTIO_ETIMEDOUT;
            break;
        }
        __WFI();
        __enable_irq();
        __disable_irq();
    }
    if (timeout_ticks) {
        SYST_CSR = 0;
        SCB_ICSR = ICSR_PENDSTCLR;
    }
    __set_PRIMASK(primask);
    return ret;
}
