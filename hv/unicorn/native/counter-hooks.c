/*
 * The counter's other hooks: the code hooks of MMIO blocks (installed after a run, mmio.c) and of
 * the alias range (finish.c), the hook that sees every new translation (self-modifying or
 * reloaded code), and the memory hook that sets the PC of a faulting data access.
 */
#include "counter.h"

/* A code hook of an instrumented block (mmio.c): the index of the next instruction, and the
 * exact stop after an MMIO access that asked for it. */
void on_block_code(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    (void)size;
    struct block *b = c->cur;
    if (c->mode != MODE_MAIN || b == NULL || (uint32_t)address - b->addr >= b->size) return;
    block_state(c);
    uint32_t i = block_index_of(c, b, (uint32_t)address);
    if (i >= c->stop_at) {
        c->stopped_before = (uint32_t)address;
        uc_emu_stop(uc);
        return;
    }
    c->live_index = i;
}

int is_instrumented(const struct hv_counter *c, const struct block *b)
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

/* Gives the code at [lo, hi) a code hook (outside any run); 0 when it was installed. */
static int instrument_range(struct hv_counter *c, uint32_t lo, uint32_t hi)
{
    uc_hook hh;
    if (uc_hook_add(c->uc, &hh, UC_HOOK_CODE, (void *)on_block_code, c, lo, (uint64_t)hi - 1)) return -1;
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)lo, (uint64_t)hi);
    c->instrumented[c->instrumented_count].lo = lo;
    c->instrumented[c->instrumented_count].hi = hi;
    c->instrumented_count++;
    mark_instrumented(c, lo, hi);
    return 0;
}

/* Gives the blocks that accessed MMIO in the last run a code hook (outside any run). */
void instrument_pending(struct hv_counter *c)
{
    for (uint32_t k = 0; k < c->to_instrument_count; k++) {
        struct block *b = c->to_instrument[k];
        if (!b->alive || b->size == 0 || is_instrumented(c, b)) continue;
        if (c->instrumented_count >= MAX_INSTRUMENTED) break;
        instrument_range(c, b->addr, b->addr + b->size);
    }
    c->to_instrument_count = 0;
}

/* Checkpoints: the instrumented ranges as lo, hi pairs in `out` (room for max / 2); returns how many there are. */
int hv_counter_instrumented(struct hv_counter *c, uint32_t *out, int max)
{
    int n = (int)(c->instrumented_count < MAX_INSTRUMENTED ? c->instrumented_count : MAX_INSTRUMENTED);
    for (int i = 0; i < n && 2 * i + 1 < max; i++) {
        out[2 * i] = c->instrumented[i].lo;
        out[2 * i + 1] = c->instrumented[i].hi;
    }
    return n;
}

/* A restored checkpoint: instruments [lo, hi) as the saved engine had it; 0 on success. */
int hv_counter_instrument(struct hv_counter *c, uint32_t lo, uint32_t hi)
{
    if (c->instrumented_count >= MAX_INSTRUMENTED || hi <= lo) return -1;
    return instrument_range(c, lo, hi);
}

/* MODE_ALIAS: stop before the target, or right after the instruction that asked to stop. */
void on_alias_code(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
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
void on_translated(uc_engine *uc, uc_tb *tb, uc_tb *prev, void *user_data)
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
int on_bad_access(uc_engine *uc, int type, uint64_t address, int size, int64_t value, void *user_data)
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
    block_state(c);
    int unique;
    int write = type == UC_MEM_WRITE_UNMAPPED || type == UC_MEM_WRITE_PROT;
    uint32_t from = c->mode == MODE_MAIN ? c->cursor : c->finish.from;
    uint32_t i = guess_access_index(c, b, from, (uint32_t)address, write, &unique);
    if (i == NO_INDEX) return 0;
    pc = b->addr + INSN_OFFSET(block_insn(c, b, i));
    set_pc(uc, pc);
    return 0;
}
