/*
 * MMIO trampolines: Unicorn calls these, they call the JavaScript device callbacks, and around
 * each call they keep the counter exact.
 *
 * Unicorn does not keep the PC up to date inside a block (only its registers), so the counter
 * must know which instruction of the current block is accessing. A block that has accessed MMIO
 * once gets a code hook of its own (instrumented, installed after the run): the hook records the
 * index of every instruction before it runs, so that later accesses are exact, and it stops the
 * run right after the accessing instruction when JavaScript asked to stop (FLAG_STOP) or lowered
 * the budget into the block (a device scheduled an earlier event), without repeating the access.
 * The first access of a block not instrumented yet is matched by address (access.c: the
 * effective addresses of the block's loads and stores from the current registers). When that
 * match is unique, a stop stops on the instruction (Unicorn leaves right after the access, before
 * the instruction completes, with a stale PC that the counter sets) and finishes it exactly
 * (finish.c); the access is then repeated by Unicorn but not passed to the device again: it gets
 * the recorded value. Otherwise, and inside IT blocks (where Unicorn cannot stop), the stop takes
 * effect at the next block boundary.
 */
#include <stdlib.h>
#include "counter.h"

/* The JavaScript device callbacks: 32-bit offsets and values only (the guest is 32-bit, accesses
 * are at most 4 bytes), which koffi converts faster than Unicorn's uint64 arguments. */
typedef uint32_t (*js_read_t)(uint32_t offset, uint32_t size);
typedef void (*js_write_t)(uint32_t offset, uint32_t size, uint32_t value);

struct region {
    struct hv_counter *c;
    uint64_t base;
    js_read_t read;
    js_write_t write;
    struct region *next;
    /* hv_mmio_latch: 32-bit writes of the registers in latch_mask (one bit per word of a
     * stride-byte slot) go into store[offset / 4] instead of to the device */
    uint32_t *store;
    uint32_t store_size, stride, latch_mask;
};

static int latched(const struct region *r, uint64_t offset, unsigned size)
{
    if (!r->store || size != 4 || (offset & 3) != 0 || offset >= r->store_size) return 0;
    uint32_t word = (uint32_t)(offset % r->stride) / 4; /* the mask has a bit for the first 32 words of a slot */
    return word < 32 && ((r->latch_mask >> word) & 1);
}

static int replayed(struct hv_counter *c, struct region *r, uint64_t offset, unsigned size, int write, uint64_t *value)
{
    struct replay *p = &c->replay;
    if (!p->active) return 0;
    p->active = 0;
    if (p->region != r || p->offset != offset || p->size != size || (int)p->write != write) return 0;
    *value = p->value;
    return 1;
}

static void queue_instrumentation(struct hv_counter *c, struct block *b)
{
    uint32_t k = 0;
    while (k < c->to_instrument_count && c->to_instrument[k] != b) k++;
    if (k == c->to_instrument_count && k < 16) c->to_instrument[c->to_instrument_count++] = b;
}

/* Sets executed/cycles to their values with the accessing instruction counted; returns its
 * index, with *exact set when the index is certain (code hook, or a unique address match). */
static uint32_t before_access(struct hv_counter *c, uint32_t address, int write, int *exact)
{
    struct block *b = c->mode == MODE_MAIN ? c->cur : c->finish.b;
    *exact = 0;
    c->access_pc = 0;
    if (b == NULL) return NO_INDEX;
    block_state(c);
    uint32_t i = c->live_index;
    if (c->mode == MODE_ALIAS) { /* the alias code hook keeps the PC exact */
        uint32_t pc = 0;
        uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
        i = block_index_of(c, b, unalias(c, pc));
        *exact = 1;
    } else if (b->instrumented && i != NO_INDEX && c->mode == MODE_MAIN) {
        *exact = 1;
    } else {
        i = guess_access_index(c, b, c->cursor, address, write, exact);
        if (c->mode == MODE_MAIN && !b->instrumented) queue_instrumentation(c, b);
        if (i == NO_INDEX) i = c->cursor < b->n ? c->cursor : (uint32_t)b->n - 1u;
    }
    c->cursor = i + 1;
    c->access_pc = b->addr + INSN_OFFSET(block_insn(c, b, i));
    sync_live(c, c->access_pc);
    return i;
}

/* Where the run must stop after the access at index i: i + 1 when asked to stop, or where the
 * (lowered) budget ends; b->n or more: at the block's end (the next block hook stops). */
static uint32_t stop_index(struct hv_counter *c, const struct block *b, uint32_t i)
{
    uint32_t to = NO_INDEX;
    if (c->flags & FLAG_STOP) to = i + 1;
    if (c->limit < DONE_CYCLES(c->done)) { /* the block in progress no longer fits */
        uint32_t before = done_cycles(c);
        uint32_t left = c->limit > before ? c->limit - before : 0;
        uint32_t k = i + 1, used = c->cur_penalty + block_prefix_cost(c, b, k);
        while (k < b->n && used + INSN_COST(block_insn(c, b, k)) <= left) used += INSN_COST(block_insn(c, b, k++));
        if (k < b->n && k < to) {
            to = k;
            c->flags |= FLAG_PENDING;
        }
    }
    return to;
}

/* A block without a code hook: stop on the instruction now (Unicorn leaves after the access,
 * before the instruction completes), then finish it exactly; the device is not called again. */
static void stop_on_access(struct hv_counter *c, struct region *r, uint64_t offset, unsigned size, int write, uint64_t value,
                           uint32_t i, uint32_t to)
{
    struct block *b = c->cur;
    c->replay = (struct replay){r, offset, value, size, (uint32_t)write, 1};
    c->finish.kind = (c->flags & FLAG_STOP) ? FINISH_STOP : FINISH_LIMIT;
    c->finish.b = b;
    c->finish.from = i;
    c->finish.to = to;
    c->finish.penalty = c->cur_penalty;
    c->done -= PACK(b->n, cur_cost(c)); /* the finish counts the block from its start */
    retire_cur(c);
    uc_emu_stop(c->uc);
}

static void after_access(struct hv_counter *c, struct region *r, uint64_t offset, unsigned size, int write, uint64_t value,
                         uint32_t i, int exact)
{
    struct block *b = c->cur;
    if (c->flags & FLAG_ABORT) {
        c->abort_pc = c->access_pc; /* exact, or the best match: the PC would be stale */
        return;
    }
    if (c->mode != MODE_MAIN || b == NULL || i == NO_INDEX) return;
    uint32_t to = stop_index(c, b, i);
    if (to >= b->n) return;
    if (b->instrumented && exact) {
        if (to < c->stop_at) c->stop_at = to;
    } else if (exact && !(INSN_FLAGS(block_insn(c, b, i)) & INSN_IN_IT)) {
        stop_on_access(c, r, offset, size, write, value, i, to);
    }
    /* Otherwise (inside an IT block, or the instruction is not certain) the next block hook stops. */
}

/* The access is unaligned (alignment.c): the device never sees it; the run stops on the
 * instruction without finishing it (as Engine.stop() does), and JavaScript raises the fault. */
static int refused_unaligned(struct hv_counter *c, struct region *r, uint64_t offset, unsigned size, int write, uint32_t i, int exact)
{
    if (!device_access_unaligned(c, c->access_pc, (uint32_t)(r->base + offset))) return 0;
    c->flags |= FLAG_ABORT | FLAG_UNALIGNED;
    after_access(c, r, offset, size, write, 0, i, exact);
    uc_emu_stop(c->uc);
    return 1;
}

static uint64_t mmio_read(uc_engine *uc, uint64_t offset, unsigned size, void *user_data)
{
    struct region *r = (struct region *)user_data;
    struct hv_counter *c = r->c;
    uint64_t value = 0;
    int exact;
    if (replayed(c, r, offset, size, 0, &value)) return value;
    uint32_t i = before_access(c, (uint32_t)(r->base + offset), 0, &exact);
    if (!refused_unaligned(c, r, offset, size, 0, i, exact)) {
        value = r->read((uint32_t)offset, size);
        sync_fast(c); /* the device may have lowered the limit or asked to stop */
        after_access(c, r, offset, size, 0, value, i, exact);
    }
    c->access_pc = 0;
    return value;
}

static void mmio_write(uc_engine *uc, uint64_t offset, unsigned size, uint64_t value, void *user_data)
{
    struct region *r = (struct region *)user_data;
    struct hv_counter *c = r->c;
    uint64_t ignored;
    int exact;
    if (replayed(c, r, offset, size, 1, &ignored)) return;
    uint32_t i = before_access(c, (uint32_t)(r->base + offset), 1, &exact);
    if (!refused_unaligned(c, r, offset, size, 1, i, exact)) {
        if (latched(r, offset, size))
            r->store[offset / 4] = (uint32_t)value;
        else
            r->write((uint32_t)offset, size, (uint32_t)value);
        sync_fast(c); /* the device may have lowered the limit or asked to stop */
        after_access(c, r, offset, size, 1, value, i, exact);
    }
    c->access_pc = 0;
}

/* Maps [address, address + size) as MMIO served by the JavaScript callbacks through the trampolines. */
int hv_mmio_map(struct hv_counter *c, uint64_t address, uint64_t size, js_read_t read, js_write_t write)
{
    struct region *r = calloc(1, sizeof *r);
    if (!r) return 1;
    r->c = c;
    r->base = address;
    r->read = read;
    r->write = write;
    r->next = (struct region *)c->mmio_regions;
    c->mmio_regions = r;
    return uc_mmio_map(c->uc, address, size, (void *)mmio_read, r, (void *)mmio_write, r);
}

/* The MMIO region mapped at `address` latches 32-bit writes of the registers in `mask` (bit n:
 * the word at n * 4 of every `stride`-byte slot) into `store` (`size` bytes, the device's own
 * register words): the device only reads them, so it needs no call for them. Returns 0, or -1
 * when no region is mapped there. */
int hv_mmio_latch(struct hv_counter *c, uint64_t address, uint32_t *store, uint32_t size, uint32_t stride, uint32_t mask)
{
    /* latched() divides by the stride; a latched write stores a whole word, so only whole
     * words of the store count. */
    if (stride == 0 || (stride & 3) != 0) return -1;
    size &= ~3u;
    for (struct region *r = (struct region *)c->mmio_regions; r; r = r->next) {
        if (r->base != address) continue;
        r->store = store;
        r->store_size = size;
        r->stride = stride;
        r->latch_mask = mask;
        return 0;
    }
    return -1;
}

void hv_mmio_free_all(struct hv_counter *c)
{
    struct region *r = (struct region *)c->mmio_regions;
    while (r) {
        struct region *next = r->next;
        free(r);
        r = next;
    }
    c->mmio_regions = NULL;
}
