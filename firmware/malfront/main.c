/* malfront: a misbehaving virtio-blk frontend for isolation tests.
 *
 * cmdline case=<name> (or case=all, the default: every case in the order of the table below).
 * Each case initialises the device, performs one attack, prints what the device answered
 *     malfront: <case>: <outcome>
 * then resets and re-initialises the device and does one valid 512-byte write and read:
 *     malfront: <case>: recovered            (or: not recovered)
 * and at the end "malfront: done" (exit 0; exit 1 only for a bad cmdline or no device).
 *
 * Outcomes: status=<n> (the request came back with status byte n: 0 OK, 1 IOERR, 2 UNSUPP),
 * no-status (it came back but the status byte was not written), needs-reset (the device set
 * DEVICE_NEEDS_RESET), no-response (nothing within the timeout), ignored (notify-storm: no used
 * entry, no reset), spurious-used (notify-storm: used entries without buffers), unchanged /
 * changed <registers> (ro-registers), dropped / touched <what> (reset-in-flight). oversize adds
 * " buffer-written" if the device wrote into the buffer anyway. */
#include "board.h"
#include "uart.h"
#include "semihosting.h"
#include "libc.h"
#include "hvlab-io.h"
#include "virtio-blk.h"
#include "busy.h"

#define BASE HV_VIRTIO_BLK_BASE
#define WAIT_MS 2000u          /* per attack or request */
#define STORM_WAIT_MS 100u
#define STORM_NOTIFIES 10000u
#define RECOVER_SECTOR 1u
#define OUTSIDE_RAM 0x30000000u
#define OTHER_GUEST 0x24000000u
#define STATUS_POISON 0xffu
#define DATA_POISON 0x5au
/* Longer than a 64 KiB read takes on any disk-timing preset (about 0.6 M cycles). */
#define AFTER_RESET_INSTRUCTIONS 4000000u

extern uint8_t _ram_free_start[], _ram_free_end[];

static struct virtio_blk_req_hdr hdr __attribute__((aligned(16)));
static volatile uint8_t status;
static uint8_t sector_buf[512] __attribute__((aligned(16)));
static uint8_t check_buf[512] __attribute__((aligned(16)));
static char outcome[96];

/* Header (desc 0, device-readable) for an IN request of sector 0. */
static void header(uint32_t type)
{
    hdr.type = type;
    hdr.reserved = 0;
    hdr.sector = 0;
    status = STATUS_POISON;
}

/* desc 0 header -> desc 1 data -> desc 2 status, with the given data and status flags. */
static void chain3(struct virtq *vq, uint32_t data, uint32_t len, uint16_t status_flags)
{
    header(VIRTIO_BLK_T_IN);
    virtq_set_desc(vq, 0, (uint32_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
    virtq_set_desc(vq, 1, data, len, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
    virtq_set_desc(vq, 2, (uint32_t)&status, 1, status_flags, 0);
}

/* Waits for the device and names what it did with the request. */
static void answer(struct virtq *vq)
{
    uint32_t id, len;
    int r = virtio_mmio_wait_used(BASE, vq);

    if (virtio_mmio_needs_reset(BASE))
        snprintf_(outcome, sizeof(outcome), "needs-reset");
    else if (r == VIRTIO_ETIMEDOUT || virtq_pop_used_raw(vq, &id, &len) < 0)
        snprintf_(outcome, sizeof(outcome), "no-response");
    else if (status == STATUS_POISON)
        snprintf_(outcome, sizeof(outcome), "no-status");
    else
        snprintf_(outcome, sizeof(outcome), "status=%u", status);
}

static void submit(struct virtq *vq)
{
    virtq_publish(vq, 0);
    virtq_kick(vq);
    answer(vq);
}

static void bad_address(struct virtq *vq, uint32_t addr)
{
    chain3(vq, addr, 512, VIRTQ_DESC_F_WRITE);
    submit(vq);
}

static void case_desc_outside_ram(struct virtq *vq) { bad_address(vq, OUTSIDE_RAM); }
static void case_desc_in_window(struct virtq *vq) { bad_address(vq, HV_WINDOW_BASE); }
static void case_desc_other_guest(struct virtq *vq) { bad_address(vq, OTHER_GUEST); }

/* 0 -> 1 -> 2 -> 1 -> 2 ... */
static void case_desc_loop(struct virtq *vq)
{
    chain3(vq, (uint32_t)sector_buf, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT);
    virtq_set_desc(vq, 2, (uint32_t)&status, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
    submit(vq);
}

/* Every descriptor of the queue chained in a ring: i -> i+1 -> ... -> 0 -> ... */
static void case_chain_too_long(struct virtq *vq)
{
    header(VIRTIO_BLK_T_IN);
    virtq_set_desc(vq, 0, (uint32_t)&hdr, sizeof(hdr), VIRTQ_DESC_F_NEXT, 1);
    for (unsigned i = 1; i < vq->num; i++)
        virtq_set_desc(vq, i, (uint32_t)sector_buf, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
                       (uint16_t)((i + 1) % vq->num));
    submit(vq);
}

/* A valid chain, but avail.idx claims num + 1 new entries. */
static void case_bad_avail_idx(struct virtq *vq)
{
    chain3(vq, (uint32_t)sector_buf, 512, VIRTQ_DESC_F_WRITE);
    for (unsigned i = 0; i < vq->num; i++)
        vq->mem->avail.ring[i] = 0;
    virtq_set_avail_idx(vq, (uint16_t)(vq->num + 1));
    virtq_kick(vq);
    answer(vq);
}

/* A read of 2 x HV_VIRTIO_BLK_MAX_BYTES into real (free) SRAM. */
static void case_oversize(struct virtq *vq)
{
    uint8_t *buf = _ram_free_start;
    uint32_t len = 2 * HV_VIRTIO_BLK_MAX_BYTES;
    int written = 0;

    memset(buf, DATA_POISON, len);
    chain3(vq, (uint32_t)buf, len, VIRTQ_DESC_F_WRITE);
    submit(vq);
    for (uint32_t i = 0; i < len && !written; i++)
        written = buf[i] != DATA_POISON;
    if (written) {
        uint32_t n = strlen(outcome);
        snprintf_(outcome + n, sizeof(outcome) - n, " buffer-written");
    }
}

static void case_notify_storm(struct virtq *vq)
{
    for (uint32_t i = 0; i < STORM_NOTIFIES; i++)
        virtq_kick(vq);
    virtio_set_timeout_ms(STORM_WAIT_MS);
    int r = virtio_mmio_wait_used(BASE, vq);
    virtio_set_timeout_ms(WAIT_MS);
    if (virtio_mmio_needs_reset(BASE))
        snprintf_(outcome, sizeof(outcome), "needs-reset");
    else if (r == 0)
        snprintf_(outcome, sizeof(outcome), "spurious-used");
    else
        snprintf_(outcome, sizeof(outcome), "ignored");
}

static const struct { uint32_t off; const char *name; } ro_regs[] = {
    { VIRTIO_MMIO_MAGIC_VALUE, "MagicValue" },
    { VIRTIO_MMIO_VERSION, "Version" },
    { VIRTIO_MMIO_DEVICE_ID, "DeviceID" },
    { VIRTIO_MMIO_QUEUE_NUM_MAX, "QueueNumMax" },
    { VIRTIO_MMIO_INTERRUPT_STATUS, "InterruptStatus" },
    { VIRTIO_MMIO_CONFIG_GENERATION, "ConfigGeneration" },
    { VIRTIO_MMIO_CONFIG + 0, "capacity-lo" },
    { VIRTIO_MMIO_CONFIG + 4, "capacity-hi" },
};
#define RO_REGS (sizeof(ro_regs) / sizeof(ro_regs[0]))

static void case_ro_registers(struct virtq *vq)
{
    uint32_t before[RO_REGS];
    unsigned n, changed = 0;

    (void)vq;
    virtio_mmio_write(BASE, VIRTIO_MMIO_QUEUE_SEL, 0);
    for (unsigned i = 0; i < RO_REGS; i++)
        before[i] = virtio_mmio_read(BASE, ro_regs[i].off);
    for (unsigned i = 0; i < RO_REGS; i++)
        virtio_mmio_write(BASE, ro_regs[i].off, ~before[i]);
    n = (unsigned)snprintf_(outcome, sizeof(outcome), "changed");
    for (unsigned i = 0; i < RO_REGS; i++) {
        if (virtio_mmio_read(BASE, ro_regs[i].off) == before[i])
            continue;
        if (n < sizeof(outcome))
            n += (unsigned)snprintf_(outcome + n, sizeof(outcome) - n, "%c%s", changed ? ',' : ' ', ro_regs[i].name);
        changed++;
    }
    if (!changed)
        snprintf_(outcome, sizeof(outcome), "unchanged");
}

/* FNV-1a of a buffer, to see whether the device wrote into it. */
static uint32_t fnv1a(const uint8_t *p, uint32_t len)
{
    uint32_t h = 2166136261u;

    for (uint32_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

/* A new request right after a reset: a 512-byte write of sector 1 and its read-back. 1 when both
 * came back OK with the data written. */
static int new_request_right(void)
{
    if (virtio_blk_init() < 0)
        return 0;
    for (unsigned i = 0; i < sizeof(sector_buf); i++)
        sector_buf[i] = (uint8_t)(i * 13u + 0x11u);
    memset(check_buf, 0, sizeof(check_buf));
    return virtio_blk_write(RECOVER_SECTOR, sector_buf, sizeof(sector_buf)) == VIRTIO_BLK_S_OK &&
           virtio_blk_read(RECOVER_SECTOR, check_buf, sizeof(check_buf)) == VIRTIO_BLK_S_OK &&
           memcmp(sector_buf, check_buf, sizeof(check_buf)) == 0;
}

/* A 64 KiB read into poisoned free SRAM and a device reset right after the notify, while the
 * read may still be in flight; at once a new write and read-back, then a wait longer than the
 * old read takes. Whatever the device did before the reset stays; after it, the old request must
 * leave no trace (no status byte, no data in its buffer) and the new ones must be right. */
static void case_reset_in_flight(struct virtq *vq)
{
    uint8_t *buf = _ram_free_start;
    uint32_t len = HV_VIRTIO_BLK_MAX_BYTES;

    memset(buf, DATA_POISON, len);
    chain3(vq, (uint32_t)buf, len, VIRTQ_DESC_F_WRITE);
    virtq_publish(vq, 0);
    virtq_kick(vq);
    virtio_blk_reset();
    uint8_t status_at_reset = status;
    uint32_t hash = fnv1a(buf, len);
    int new_right = new_request_right();
    busy_instructions(AFTER_RESET_INSTRUCTIONS);
    int wrote_status = status != status_at_reset;
    int wrote_buffer = fnv1a(buf, len) != hash;
    if (new_right && !wrote_status && !wrote_buffer)
        snprintf_(outcome, sizeof(outcome), "dropped");
    else
        snprintf_(outcome, sizeof(outcome), "touched%s%s%s", new_right ? "" : " new-request",
                  wrote_status ? " status" : "", wrote_buffer ? " buffer" : "");
}

static void case_bad_status_desc(struct virtq *vq)
{
    chain3(vq, (uint32_t)sector_buf, 512, 0);   /* status descriptor device-readable */
    submit(vq);
}

static const struct {
    const char *name;
    void (*run)(struct virtq *vq);
} cases[] = {
    { "desc-outside-ram", case_desc_outside_ram },
    { "desc-in-window", case_desc_in_window },
    { "desc-other-guest", case_desc_other_guest },
    { "desc-loop", case_desc_loop },
    { "chain-too-long", case_chain_too_long },
    { "bad-avail-idx", case_bad_avail_idx },
    { "oversize", case_oversize },
    { "notify-storm", case_notify_storm },
    { "ro-registers", case_ro_registers },
    { "bad-status-desc", case_bad_status_desc },
    { "reset-in-flight", case_reset_in_flight },
};
#define CASES (sizeof(cases) / sizeof(cases[0]))

/* Reset, re-initialise, one valid 512-byte write and read back. 0 when it all worked. */
static int recover(const char *name)
{
    int r;

    virtio_blk_reset();
    r = virtio_blk_init();
    if (r < 0) {
        uart_printf("malfront: %s: re-init failed (%d)\n", name, r);
        return -1;
    }
    for (unsigned i = 0; i < sizeof(sector_buf); i++)
        sector_buf[i] = (uint8_t)(i * 7u + 0x3du);
    r = virtio_blk_write(RECOVER_SECTOR, sector_buf, sizeof(sector_buf));
    if (r != VIRTIO_BLK_S_OK) {
        uart_printf("malfront: %s: recovery write failed (%d)\n", name, r);
        return -1;
    }
    memset(check_buf, 0, sizeof(check_buf));
    r = virtio_blk_read(RECOVER_SECTOR, check_buf, sizeof(check_buf));
    if (r != VIRTIO_BLK_S_OK) {
        uart_printf("malfront: %s: recovery read failed (%d)\n", name, r);
        return -1;
    }
    if (memcmp(sector_buf, check_buf, sizeof(check_buf)) != 0) {
        uart_printf("malfront: %s: recovery read returned other data\n", name);
        return -1;
    }
    return 0;
}

static int run_case(unsigned i)
{
    int r = virtio_blk_init();
    if (r < 0) {
        uart_printf("malfront: %s: init failed (%d)\n", cases[i].name, r);
        return -1;
    }
    outcome[0] = '\0';
    cases[i].run(virtio_blk_queue());
    uart_printf("malfront: %s: %s\n", cases[i].name, outcome);
    uart_printf("malfront: %s: %s\n", cases[i].name, recover(cases[i].name) == 0 ? "recovered" : "not recovered");
    return 0;
}

int main(void)
{
    static char cmdline[256];
    char name[32] = "all";
    int all;

    uart_init();
    semihost_get_cmdline(cmdline, sizeof(cmdline));
    all = !cmdline_get(cmdline, "case", name, sizeof(name)) || strcmp(name, "all") == 0;
    virtio_set_timeout_ms(WAIT_MS);
    if ((uint32_t)(_ram_free_end - _ram_free_start) < 2 * HV_VIRTIO_BLK_MAX_BYTES) {
        uart_printf("malfront: not enough free RAM\n");
        return 1;
    }
    if (virtio_mmio_probe(BASE, VIRTIO_ID_BLOCK) < 0) {
        uart_printf("malfront: no virtio-blk device\n");
        return 1;
    }

    int found = 0;
    for (unsigned i = 0; i < CASES; i++) {
        if (!all && strcmp(name, cases[i].name) != 0)
            continue;
        found = 1;
        if (run_case(i) < 0)
            return 1;
    }
    if (!found) {
        uart_printf("malfront: unknown case %s\n", name);
        return 1;
    }
    uart_printf("malfront: done\n");
    return 0;
}
