/*
 * Native instruction counter for hvlab's Unicorn binding: an exact instruction (or cycle)
 * budget at the cost of a block hook.
 *
 * A UC_HOOK_BLOCK callback runs before every translated block. Each block is decoded once
 * (block-cache.c: instruction count, per-instruction cycles, IT blocks, divisions), so the hook
 * adds the previous block's instructions and cycles and checks whether the next block fits in
 * the budget (`limit`, which JavaScript may move during the run). A block that does not fit is
 * not entered: the hook stops before it and the remaining instructions run exactly (finish.c).
 * Condition-failed instructions in IT blocks count as executed (the core retires them; QEMU's
 * -icount counts them too). When a run ends inside a block (a fault, an interrupt hook, an MMIO
 * abort), the PC tells how far it got: instructions before the PC retired, and the one at the PC
 * is counted as entered (the hypervisor un-counts it when it aborted, see cortex-m.ts).
 *
 * State shared with JavaScript without calls (layout from hv_counter_offsets):
 *   executed, cycles   retired instructions and their cycles (exact after the run, and inside
 *                      MMIO callbacks, which come through the trampolines in mmio.c);
 *   limit              cycle budget (instructions without cycle timing);
 *   flags              FLAG_STOP (JavaScript: stop right after the current instruction; from an
 *                      MMIO callback the access is not repeated), FLAG_PENDING (set here when the
 *                      counter ended the run), FLAG_WATCH (stop at the next block boundary once one
 *                      of watch_ids[] differs from watch_values[]: the instructions that unmask
 *                      interrupts end their block), FLAG_DIV_TRAP (stop before an SDIV/UDIV whose
 *                      divisor is zero, div_fault set: CCR.DIV_0_TRP), FLAG_CYCLES (cycle timing:
 *                      costs from cycle_map, one byte per halfword from cycle_base; 0 = not decoded:
 *                      the run stops before the block with need_decode set and decode_start/end
 *                      naming the code to decode; a block not entered by falling through costs
 *                      branch_penalty more), FLAG_ABORT (Engine.stop(): stop on the instruction).
 * The hook's common case is a table lookup, two additions and a comparison.
 */
#include <stdlib.h>
#include "counter.h"



static int watched_registers_changed(struct hv_counter *c)
{
    uint32_t now[WATCHED] = {0};
    void *ptrs[WATCHED];
    for (int i = 0; i < WATCHED; i++) ptrs[i] = &now[i];
    uc_reg_read_batch(c->uc, c->watch_ids, ptrs, WATCHED);
    for (int i = 0; i < WATCHED; i++)
        if (now[i] != c->watch_values[i]) return 1;
    return 0;
}

int divisor_is_zero(struct hv_counter *c, uint32_t insn)
{
    uint32_t divisor = 1;
    uc_reg_read(c->uc, c->div_regs[(INSN_FLAGS(insn) >> 4) & 15], &divisor);
    return divisor == 0;
}

/* Stops before the block at `addr`. Unicorn 2.1.1 leaves the PC stale after a stop in a block
 * hook when any code hook exists (the alias hook always does; fixed in 2.1.2): the run loop sets it. */
static void stop_before(struct hv_counter *c, uint32_t addr)
{
    c->flags |= FLAG_PENDING;
    c->block_stop_pc = addr;
    uc_emu_stop(c->uc);
}

/* Instructions of `b` that fit in what is left of the budget (b->n when all do). */
static uint32_t fitting(const struct hv_counter *c, const struct block *b, uint32_t penalty)
{
    uint32_t done = DONE_CYCLES(c->done); /* no block in progress here */
    if (done >= c->limit) return 0;
    uint32_t left = c->limit - done, used = penalty, k = 0;
    while (k < b->n && used + INSN_COST(block_insn(c, b, k)) <= left) used += INSN_COST(block_insn(c, b, k++));
    /* A run whose budget is smaller than its first instruction still runs it (or it could
     * never make progress); the deadline is overshot by less than one instruction. */
    if (k == 0 && done == 0) k = 1;
    return k;
}

static void request_finish(struct hv_counter *c, struct block *b, enum finish_kind kind, uint32_t to, uint32_t penalty)
{
    c->finish.kind = kind;
    c->finish.b = b;
    c->finish.from = 0;
    c->finish.to = to;
    c->finish.penalty = penalty;
    c->block_stop_pc = b->addr;
    uc_emu_stop(c->uc);
}

/* Everything but the common case; returns 1 when the block may run. */
static int enter_slowly(struct hv_counter *c, struct block *b, uint32_t penalty)
{
    if (b->undecoded) {
        block_refresh_costs(c, b);
        if (b->undecoded) {
            c->need_decode = 1;
            c->decode_start = b->addr;
            c->decode_end = b->addr + b->size;
            stop_before(c, b->addr);
            return 0;
        }
    }
    if ((c->flags & FLAG_STOP) || ((c->flags & FLAG_WATCH) && watched_registers_changed(c))) {
        c->flags |= FLAG_STOP;
        sync_fast(c);
        stop_before(c, b->addr);
        return 0;
    }
    uint32_t k = fitting(c, b, penalty);
    uint32_t d = b->n;
    if ((c->flags & FLAG_DIV_TRAP) && b->has_div) {
        for (d = 0; d < b->n && !(INSN_FLAGS(block_insn(c, b, d)) & INSN_DIV); d++) {}
        if (d == 0 && k > 0 && divisor_is_zero(c, block_insn(c, b, 0))) {
            c->div_fault = 1;
            c->flags |= FLAG_STOP;
            sync_fast(c);
            stop_before(c, b->addr);
            return 0;
        }
        if (d == 0) { /* checked: the next division, if any, is a finish target */
            for (d = 1; d < b->n && !(INSN_FLAGS(block_insn(c, b, d)) & INSN_DIV); d++) {}
        }
    }
    if (k == 0) {
        stop_before(c, b->addr);
        return 0;
    }
    if (d < b->n && d <= k) {
        request_finish(c, b, FINISH_DIV, d, penalty);
        return 0;
    }
    if (k < b->n) {
        request_finish(c, b, FINISH_LIMIT, k, penalty);
        return 0;
    }
    return 1;
}

static void enter(struct hv_counter *c, struct block *b, uint32_t cost)
{
    c->done += PACK(b->n, cost);
    c->cur = b;
    c->cur_penalty = cost - b->cost;
    c->prev_end = b->addr + b->size;
    c->block_mark = c->done;
    c->live_index = NO_INDEX;
    c->cursor = 0;
    c->stop_at = NO_INDEX;
}

/* Everything but the common case, out of line so that the common case saves no registers (the
 * hook's own parameters, so that the common case tail-calls it without moving them). */
static __attribute__((noipa, cold)) void on_block_slowly(uc_engine *uc, uint64_t address64, uint32_t size, struct hv_counter *c)
{
    (void)uc;
    uint32_t address = (uint32_t)address64;
    if (c->mode != MODE_MAIN) return;
    retire_cur(c);
    struct block *b = cache_lookup(&c->cache, address, size);
    if (b == NULL) {
        b = block_decode(c, address, size);
        if (b == NULL) return; /* unreadable code: the fetch faults */
        b->instrumented = (uint8_t)is_instrumented(c, b);
    }
    uint32_t penalty = block_penalty(c, b);
    if (!enter_slowly(c, b, penalty)) return;
    enter(c, b, b->cost + penalty); /* the costs may just have been decoded */
}

/*
 * The block hook (instruction timing). Common case: the block's home slot holds it, and it fits
 * in the budget (fast_limit: 0 while a flag asks for the slow path): count it now, whole (a run that ends inside it
 * un-counts the rest: settle, sync_live). Everything else, a block elsewhere in the table
 * included, goes the slow way.
 */
void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    struct block *b = &c->cache.slots[slot_of(&c->cache, (uint32_t)address)];
    uint64_t done = c->done + b->add;
    if (__builtin_expect(b->addr == (uint32_t)address && b->size_word == size && DONE_CYCLES(done) <= c->fast_limit, 1)) {
        c->done = done;
        c->cur = b;
        return;
    }
    on_block_slowly(uc, address, size, c);
}

/* The block hook under cycle timing: the same, plus the refill of a block not entered by falling
 * through (hv_counter_attach picks the hook). */
void on_block_cycles(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    struct block *b = &c->cache.slots[slot_of(&c->cache, (uint32_t)address)];
    uint32_t penalty = (uint32_t)address != c->prev_end && c->prev_end != 0 ? c->branch_penalty : 0;
    uint64_t done = c->done + b->add + penalty;
    if (__builtin_expect(b->addr == (uint32_t)address && b->size_word == size && DONE_CYCLES(done) <= c->fast_limit, 1)) {
        c->done = done;
        c->cur = b;
        c->cur_penalty = penalty;
        c->prev_end = (uint32_t)address + size;
        return;
    }
    on_block_slowly(uc, address, size, c);
}

/* Sets executed/cycles to their values at the instruction at `pc` (counted as entered, unless
 * the run stopped before it). */
void sync_live(struct hv_counter *c, uint32_t pc)
{
    const struct block *b = c->mode == MODE_MAIN ? c->cur : c->finish.b;
    if (b == NULL) {
        c->executed = done_executed(c);
        c->cycles = done_cycles(c);
        return;
    }
    uint32_t penalty = c->mode == MODE_MAIN ? c->cur_penalty : c->finish.penalty;
    uint32_t i = block_index_of(c, b, unalias(c, pc));
    uint32_t entered = i < b->n && pc != c->stopped_before ? 1 : 0;
    c->executed = done_executed(c) + i + entered;
    c->cycles = done_cycles(c) + penalty + block_prefix_cost(c, b, i + entered);
    if (entered) c->last_cost = INSN_COST(block_insn(c, b, i)) + (i == 0 ? penalty : 0);
}
