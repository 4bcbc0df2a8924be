/* The driver VM's own life (the split path): initialise, tell the hypervisor it is ready, then
 * serve the mailbox. Each event is a call record (mode forced to GRANT) for one frontend queue;
 * the driver keeps that queue's last_avail and used_idx itself and takes the record's values
 * only when the record's generation changes (the frontend reconfigured or reset the queue).
 * After processing, HV_SVC_QUEUE_STATE reports the record; the hypervisor interrupts the
 * frontend when result has HV_RESULT_NOTIFY.
 *
 * Mailbox indices: the driver reads events[tail % HV_MAILBOX_SLOTS] while tail != head, then
 * advances tail. head and tail are taken to be free-running counters; if the hypervisor keeps
 * them as indices below HV_MAILBOX_SLOTS instead, tail wraps to 0 (see next_tail). */
#include "driver.h"
#include "blkctl.h"
#include "hypercall.h"
#include "board.h"
#include "libc.h"

#define QUEUES_PER_DEVICE 2u

struct queue_state {
    uint32_t valid;
    uint32_t generation;
    uint32_t last_avail;
    uint32_t used_idx;
};

/* .bss: zeroed at boot when stale. */
static struct queue_state states[HV_MAX_FRONTENDS][2][QUEUES_PER_DEVICE];
static struct hv_io_call event;
static volatile uint32_t evtchn_irqs;
static uint32_t events_done;

void evtchn_irq_handler(void)
{
    evtchn_irqs++;   /* the mailbox itself says what happened */
}

static struct queue_state *state_of(const struct hv_io_call *ev)
{
    uint32_t dev;
    if (ev->device == VIRTIO_ID_BLOCK)
        dev = 0;
    else if (ev->device == VIRTIO_ID_CONSOLE)
        dev = 1;
    else
        return 0;
    if (ev->frontend >= HV_MAX_FRONTENDS || ev->queue >= QUEUES_PER_DEVICE)
        return 0;
    return &states[ev->frontend][dev][ev->queue];
}

static void handle(struct hv_io_call *ev)
{
    struct queue_state *st = state_of(ev);

    ev->mode = HV_MODE_GRANT;   /* the driver VM cannot address frontend memory */
    ev->result = 0;
    ev->completed = 0;
    ev->errors = 0;
    if (ev->magic != HV_CALL_MAGIC || !st) {
        hv_queue_state(ev);     /* nothing done, but the event is answered */
        return;
    }
    if (!st->valid || st->generation != ev->generation) {
        st->valid = 1;
        st->generation = ev->generation;
        st->last_avail = ev->last_avail & 0xffffu;
        st->used_idx = ev->used_idx & 0xffffu;
    }
    ev->last_avail = st->last_avail;
    ev->used_idx = st->used_idx;
    if (ev->device == VIRTIO_ID_BLOCK)
        blk_notify(ev);
    else
        console_notify(ev);
    st->last_avail = ev->last_avail & 0xffffu;
    st->used_idx = ev->used_idx & 0xffffu;
    hv_queue_state(ev);
}

/* Free-running counters: tail + 1. Indices kept below HV_MAILBOX_SLOTS: when tail + 1 reaches
 * HV_MAILBOX_SLOTS, a free-running head is at least that (it is never behind tail), an index
 * head is below it: then wrap to 0. */
static uint32_t next_tail(uint32_t tail, uint32_t head)
{
    uint32_t next = tail + 1;
    if (next == HV_MAILBOX_SLOTS && head < HV_MAILBOX_SLOTS)
        next = 0;
    return next;
}

void driver_main(void)
{
    volatile struct hv_mailbox *mb = &hv_mailbox;

    blkctl_init_vm();
    nvic_clear_pending(HV_EVTCHN_IRQ);
    nvic_enable_irq(HV_EVTCHN_IRQ);
    __enable_irq();
    hv_ready();

    for (;;) {
        uint32_t head = mb->head;
        uint32_t tail = mb->tail;

        if (head == tail) {
            /* Race-free: an event posted after the check still ends the WFI. */
            __disable_irq();
            if (mb->head == mb->tail)
                __WFI();
            __enable_irq();
            continue;
        }
        __DMB();   /* the record before reading it, after seeing head */
        memcpy(&event, (const void *)&mb->events[tail % HV_MAILBOX_SLOTS], sizeof(event));
        handle(&event);
        events_done++;
        __DMB();   /* done with the slot before giving it back */
        mb->tail = next_tail(tail, head);
    }
}
