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

static int is_instrumented(const struct hv_counter *c, const struct block *b);

uint32_t block_penalty(const struct hv_counter *c, const struct block *b)
{
    if (!(c->flags & FLAG_CYCLES) || c->prev_end == 0 || b->addr == c->prev_end) return 0;
    return c->branch_penalty;
}

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

static int divisor_is_zero(struct hv_counter *c, uint32_t insn)
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
    if (c->done_cycles >= c->limit) return 0;
    uint32_t left = c->limit - c->done_cycles, used = penalty, k = 0;
    while (k < b->n && used + INSN_COST(block_insn(c, b, k)) <= left) used += INSN_COST(block_insn(c, b, k++));
    /* A run whose budget is smaller than its first instruction still runs it (or it could
     * never make progress); the deadline is overshot by less than one instruction. */
    if (k == 0 && c->done_cycles == 0) k = 1;
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

static void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    (void)uc;
    if (c->mode != MODE_MAIN) return;
    if (c->cur) {
        c->done_executed += c->cur->n;
        c->done_cycles += c->cur_cost;
        c->cur = NULL;
    }
    struct block *b = cache_lookup(&c->cache, (uint32_t)address, size);
    if (__builtin_expect(b == NULL, 0)) {
        b = block_decode(c, (uint32_t)address, size);
        if (b == NULL) return; /* unreadable code: the fetch faults */
        b->instrumented = (uint8_t)is_instrumented(c, b);
    }
    uint32_t penalty = block_penalty(c, b);
    uint32_t cost = b->cost + penalty;
    if (__builtin_expect((c->flags & (FLAG_STOP | FLAG_WATCH | FLAG_DIV_TRAP)) | b->undecoded, 0) ||
        __builtin_expect(c->done_cycles + cost > c->limit, 0)) {
        if (!enter_slowly(c, b, penalty)) return;
        cost = b->cost + penalty; /* the costs may just have been decoded */
    }
    c->cur = b;
    c->cur_cost = cost;
    c->prev_end = b->addr + b->size;
    c->live_index = NO_INDEX;
    c->cursor = 0;
    c->stop_at = NO_INDEX;
}

/* A code hook of an instrumented block (mmio.c): the index of the next instruction, and the
 * exact stop after an MMIO access that asked for it. */
static void on_block_code(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    (void)size;
    struct block *b = c->cur;
    if (c->mode != MODE_MAIN || b == NULL || (uint32_t)address - b->addr >= b->size) return;
    uint32_t i = block_index_of(c, b, (uint32_t)address);
    if (i >= c->stop_at) {
        c->stopped_before = (uint32_t)address;
        uc_emu_stop(uc);
        return;
    }
    c->live_index = i;
}

static int is_instrumented(const struct hv_counter *c, const struct block *b)
{
    for (uint32_t i = 0; i < c->instrumented_count && i < MAX_INSTRUMENTED; i++)
        if (b->addr >= c->instrumented[i].lo && b->addr + b->size <= c->instrumented[i].hi) return 1;
    return 0;
}

/* Every decoded block inside [lo, hi) now has a code hook. */
static void mark_instrumented(struct hv_counter *c, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = 0; i < c->cache.capacity; i++) {
        struct block *b = &c->cache.slots[i];
        if (b->size && b->addr >= lo && b->addr + b->size <= hi) b->instrumented = 1;
    }
}

/* Gives the blocks that accessed MMIO in the last run a code hook (outside any run). */
static void instrument_pending(struct hv_counter *c)
{
    for (uint32_t k = 0; k < c->to_instrument_count; k++) {
        struct block *b = c->to_instrument[k];
        if (!b->alive || b->size == 0 || is_instrumented(c, b)) continue;
        if (c->instrumented_count >= MAX_INSTRUMENTED) break;
        uc_hook hh;
        if (uc_hook_add(c->uc, &hh, UC_HOOK_CODE, (void *)on_block_code, c, b->addr, (uint64_t)b->addr + b->size - 1)) continue;
        uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)b->addr, (uint64_t)b->addr + b->size);
        c->instrumented[c->instrumented_count].lo = b->addr;
        c->instrumented[c->instrumented_count].hi = b->addr + b->size;
        c->instrumented_count++;
        mark_instrumented(c, b->addr, b->addr + b->size);
    }
    c->to_instrument_count = 0;
}

/* MODE_ALIAS: stop before the target, or right after the instruction that asked to stop. */
static void on_alias_code(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    (void)size;
    if (c->mode != MODE_ALIAS || c->alias_stopped) return;
    int asked = (c->flags & FLAG_STOP) && (uint32_t)address != c->alias_begin;
    if ((uint32_t)address == c->alias_stop || asked) {
        c->alias_stopped = 1;
        uc_emu_stop(uc);
    }
}

/* Unicorn translated a block: if it had been decoded before, its code may have changed. */
static void on_translated(uc_engine *uc, uc_tb *tb, uc_tb *prev, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    (void)uc;
    (void)prev;
    uint32_t pc = (uint32_t)tb->pc;
    if (unalias(c, pc) != pc || c->mode == MODE_UNTIL) return;
    if (cache_invalidate_changed(c, pc) == 0) return;
    if (c->stale_count < MAX_STALE) {
        c->stale[c->stale_count].start = pc;
        c->stale[c->stale_count].end = pc + tb->size;
    }
    c->stale_count++;
    if ((c->flags & FLAG_CYCLES) && pc >= c->cycle_base) {
        for (uint32_t a = pc; a < pc + tb->size && a - c->cycle_base < c->cycle_size; a += 2)
            ((uint8_t *)c->cycle_map)[(a - c->cycle_base) >> 1] = 0;
    }
}

/* An unmapped or protected data access: Unicorn leaves the PC stale inside a block; set it to the
 * accessing instruction before the hypervisor's hooks (installed later, called later) see it. */
static int on_bad_access(uc_engine *uc, int type, uint64_t address, int size, int64_t value, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    (void)size, (void)value;
    uint32_t pc = 0;
    if (c->mode == MODE_ALIAS) { /* exact, but at the alias */
        uc_reg_read(uc, UC_ARM_REG_PC, &pc);
        pc = unalias(c, pc);
        set_pc(uc, pc);
        return 0;
    }
    const struct block *b = c->mode == MODE_MAIN ? c->cur : c->finish.b;
    if (b == NULL) return 0;
    int unique;
    int write = type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT;
    uint32_t from = c->mode == MODE_MAIN ? c->cursor : c->finish.from;
    uint32_t i = guess_access_index(c, b, from, (uint32_t)address, write, &unique);
    if (i == NO_INDEX) return 0;
    pc = b->addr + INSN_OFFSET(block_insn(c, b, i));
    set_pc(uc, pc);
    return 0;
}

/* Sets executed/cycles to their values at the instruction at `pc` (counted as entered, unless
 * the run stopped before it). */
void sync_live(struct hv_counter *c, uint32_t pc)
{
    const struct block *b = c->mode == MODE_MAIN ? c->cur : c->finish.b;
    if (b == NULL) {
        c->executed = c->done_executed;
        c->cycles = c->done_cycles;
        return;
    }
    uint32_t penalty = c->mode == MODE_MAIN ? c->cur_cost - b->cost : c->finish.penalty;
    uint32_t i = block_index_of(c, b, unalias(c, pc));
    uint32_t entered = i < b->n && pc != c->stopped_before ? 1 : 0;
    c->executed = c->done_executed + i + entered;
    c->cycles = c->done_cycles + penalty + block_prefix_cost(c, b, i + entered);
    if (entered) c->last_cost = INSN_COST(block_insn(c, b, i)) + (i == 0 ? penalty : 0);
}

static uint32_t read_pc(struct hv_counter *c)
{
    uint32_t pc = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    return pc;
}

/* After a run: the block in progress ended at the PC, or ran to its end. */
static void settle(struct hv_counter *c, uint32_t pc)
{
    struct block *b = c->cur;
    if (b && pc - b->addr < b->size) {
        sync_live(c, pc);
    } else if (b) {
        c->executed = c->done_executed + b->n;
        c->cycles = c->done_cycles + c->cur_cost;
        c->last_cost = INSN_COST(block_insn(c, b, b->n - 1)) + (b->n == 1 ? c->cur_cost - b->cost : 0);
    } else {
        c->executed = c->done_executed;
        c->cycles = c->done_cycles;
    }
}

/* After a finish: the first `to` instructions of the block ran (or fewer, if something stopped it). */
static int settle_finish(struct hv_counter *c, int err)
{
    struct block *b = c->finish.b;
    uint32_t pc = read_pc(c);
    uint32_t target = b->addr + INSN_OFFSET(block_insn(c, b, c->finish.to));
    if (pc == target && err == 0) {
        c->done_executed += c->finish.to;
        c->done_cycles += c->finish.penalty + block_prefix_cost(c, b, c->finish.to);
        c->last_cost = INSN_COST(block_insn(c, b, c->finish.to - 1)) + (c->finish.to == 1 ? c->finish.penalty : 0);
        c->executed = c->done_executed;
        c->cycles = c->done_cycles;
        c->prev_end = target;
        return 1;
    }
    c->mode = MODE_ALIAS; /* sync_live reads finish.b */
    if (c->alias_stopped) c->stopped_before = pc; /* stopped right after the instruction that asked */
    sync_live(c, pc);
    c->mode = MODE_MAIN;
    return 0;
}

/* Runs from `begin` (Thumb bit set) until the budget is spent or something stops the run. */
int hv_counter_run(struct hv_counter *c, uint64_t begin)
{
    c->done_executed = c->executed;
    c->done_cycles = c->cycles;
    c->flags &= ~FLAG_ABORT;
    c->replay.active = 0;
    c->abort_pc = 0;
    uint32_t pc = (uint32_t)begin & ~1u;
    for (;;) {
        c->cur = NULL;
        c->finish.kind = FINISH_NONE;
        c->mode = MODE_MAIN;
        c->stopped_before = 1; /* never an instruction address */
        c->block_stop_pc = 0;
        int err = uc_emu_start(c->uc, pc | 1, 0, 0, 0);
        if (c->block_stop_pc) set_pc(c->uc, c->block_stop_pc);
        instrument_pending(c);
        if ((c->flags & FLAG_ABORT) && c->abort_pc) set_pc(c->uc, c->abort_pc);
        if (c->finish.kind == FINISH_NONE || err != 0 || (c->flags & FLAG_ABORT)) {
            settle(c, read_pc(c));
            return err;
        }
        enum finish_kind kind = c->finish.kind;
        uint32_t from_pc = c->finish.b->addr + INSN_OFFSET(block_insn(c, c->finish.b, c->finish.from));
        if (kind == FINISH_STOP || c->finish.from > 0) set_pc(c->uc, from_pc); /* stale after an MMIO stop */
        err = finish_run(c, from_pc);
        c->replay.active = 0;
        int reached = settle_finish(c, err);
        if (!reached || err != 0 || (c->flags & FLAG_ABORT)) return err;
        if (kind == FINISH_LIMIT) c->flags |= FLAG_PENDING;
        if (kind != FINISH_DIV) return 0;
        pc = read_pc(c);
        struct block *b = c->finish.b;
        if (divisor_is_zero(c, block_insn(c, b, c->finish.to))) {
            c->div_fault = 1;
            c->flags |= FLAG_STOP | FLAG_PENDING;
            return 0;
        }
        /* The division runs in a block of its own that starts with it (checked by its hook). */
    }
}

/* Installs the hooks on every address and makes runs cheap to start (no exit address: Unicorn
 * would drop the translation before it after every run). Returns Unicorn's error code. */
int hv_counter_attach(uc_engine *uc, struct hv_counter *c, uint32_t alias_lo, uint32_t alias_hi)
{
    uc_hook hh;
    c->uc = uc;
    if (cache_init(&c->cache) != 0) return 1; /* UC_ERR_NOMEM */
    int err = uc_ctl(uc, UC_CTL_WRITE(UC_CTL_UC_USE_EXITS, 1), 1);
    if (!err) err = uc_hook_add(uc, &hh, UC_HOOK_BLOCK, (void *)on_block, c, 0, (uint64_t)alias_lo - 1);
    if (!err) err = uc_hook_add(uc, &hh, UC_HOOK_CODE, (void *)on_alias_code, c, alias_lo, alias_hi);
    if (!err) err = uc_hook_add(uc, &hh, UC_HOOK_EDGE_GENERATED, (void *)on_translated, c, 1, 0);
    if (!err)
        err = uc_hook_add(uc, &hh, UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT,
                          (void *)on_bad_access, c, 1, 0);
    return err;
}

/* Executable RAM at [base, base + size) is also mapped at `alias` (used by finish.c). */
int hv_counter_add_alias(struct hv_counter *c, uint32_t base, uint32_t size, uint32_t alias)
{
    if (c->alias_count >= MAX_ALIASES) return -1;
    c->aliases[c->alias_count++] = (struct alias){base, size, alias};
    return 0;
}

/* Forgets every decoded block (the cycle map was cleared, or guest memory reloaded). */
void hv_counter_flush(struct hv_counter *c)
{
    cache_clear(&c->cache);
    c->cur = NULL;
    c->stale_count = MAX_STALE + 1;
}

void hv_mmio_free_all(struct hv_counter *c);

void hv_counter_free(struct hv_counter *c)
{
    cache_free(&c->cache);
    hv_mmio_free_all(c);
}

int hv_counter_state_size(void)
{
    return (int)sizeof(struct hv_counter);
}

/* Byte offsets of the shared fields, in the order instruction-counter.ts lists them. */
int hv_counter_offsets(uint32_t *out, int count)
{
    const uint32_t offsets[] = {
        offsetof(struct hv_counter, executed),     offsetof(struct hv_counter, limit),
        offsetof(struct hv_counter, flags),        offsetof(struct hv_counter, div_fault),
        offsetof(struct hv_counter, watch_ids),    offsetof(struct hv_counter, watch_values),
        offsetof(struct hv_counter, div_regs),     offsetof(struct hv_counter, cycles),
        offsetof(struct hv_counter, last_cost),    offsetof(struct hv_counter, need_decode),
        offsetof(struct hv_counter, prev_end),     offsetof(struct hv_counter, branch_penalty),
        offsetof(struct hv_counter, cycle_base),   offsetof(struct hv_counter, cycle_size),
        offsetof(struct hv_counter, cycle_map),    offsetof(struct hv_counter, decode_start),
        offsetof(struct hv_counter, decode_end),   offsetof(struct hv_counter, finishes),
        offsetof(struct hv_counter, retranslations),
    };
    int n = (int)(sizeof offsets / sizeof offsets[0]);
    for (int i = 0; i < n && i < count; i++) out[i] = offsets[i];
    return n;
}
