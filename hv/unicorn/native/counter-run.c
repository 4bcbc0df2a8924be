/*
 * The run loop (a run, then the exact finish it asked for) and the functions JavaScript calls
 * (instruction-counter.ts): attach, aliases, flush, free, and the layout of the shared state.
 */
#include <stdlib.h>
#include "counter.h"

static uint32_t read_pc(struct hv_counter *c)
{
    uint32_t pc = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &pc);
    return pc;
}

/* After a run: the block in progress ended at the PC, or ran to its end. A run that ended
 * inside a block resumes at the PC by falling through: the stream goes on there (no refill; the
 * block's own refill, if any, was charged when it was entered). */
static void settle(struct hv_counter *c, uint32_t pc)
{
    struct block *b = c->cur;
    if (b && pc - b->addr < b->size) {
        sync_live(c, pc);
        c->prev_end = pc;
        return;
    }
    c->executed = DONE_N(c->done);
    c->cycles = DONE_CYCLES(c->done);
    if (b) c->last_cost = INSN_COST(block_insn(c, b, b->n - 1)) + (b->n == 1 ? c->cur_penalty : 0);
}

/* After a finish: the first `to` instructions of the block ran (or fewer, if something stopped it). */
static int settle_finish(struct hv_counter *c, int err)
{
    struct block *b = c->finish.b;
    uint32_t pc = read_pc(c);
    uint32_t target = b->addr + INSN_OFFSET(block_insn(c, b, c->finish.to));
    if (pc == target && err == 0) {
        c->done += PACK(c->finish.to, c->finish.penalty + block_prefix_cost(c, b, c->finish.to));
        c->last_cost = INSN_COST(block_insn(c, b, c->finish.to - 1)) + (c->finish.to == 1 ? c->finish.penalty : 0);
        c->executed = DONE_N(c->done);
        c->cycles = DONE_CYCLES(c->done);
        c->prev_end = target;
        return 1;
    }
    set_mode(c, MODE_ALIAS); /* sync_live reads finish.b */
    if (c->alias_stopped) c->stopped_before = pc; /* stopped right after the instruction that asked */
    sync_live(c, pc);
    set_mode(c, MODE_MAIN);
    c->prev_end = unalias(c, pc); /* as in settle: the next run falls through to it */
    return 0;
}

static int run_loop(struct hv_counter *c, uint64_t begin);

/* Runs from `begin` (Thumb bit set) until the budget is spent or something stops the run. */
int hv_counter_run(struct hv_counter *c, uint64_t begin)
{
    c->interrupted = 0;
    int err = run_loop(c, begin);
    c->end_pc = read_pc(c);
    return err;
}

static int run_loop(struct hv_counter *c, uint64_t begin)
{
    c->done = PACK(c->executed, c->cycles);
    c->flags &= ~FLAG_ABORT;
    sync_fast(c);
    c->replay.active = 0;
    c->abort_pc = 0;
    uint32_t pc = (uint32_t)begin & ~1u;
    for (;;) {
        retire_cur(c);
        c->block_mark = ~0ull; /* never a count: the first block's state is reset */
        c->finish.kind = FINISH_NONE;
        set_mode(c, MODE_MAIN);
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
            sync_fast(c);
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
    c->alias_lo = alias_lo;
    if (!err) err = uc_hook_add(uc, &c->block_hook, UC_HOOK_BLOCK, (void *)on_block, c, 0, (uint64_t)alias_lo - 1);
    if (!err) err = uc_hook_add(uc, &hh, UC_HOOK_CODE, (void *)on_alias_code, c, alias_lo, alias_hi);
    if (!err) err = uc_hook_add(uc, &hh, UC_HOOK_EDGE_GENERATED, (void *)on_translated, c, 1, 0);
    if (!err)
        err = uc_hook_add(uc, &hh, UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED | UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_WRITE_PROT,
                          (void *)on_bad_access, c, 1, 0);
    return err;
}

/* A CPU exception (SVC, BKPT, exception return, WFI, a fault): record it and stop on the
 * instruction, as Engine.stop() would (FLAG_ABORT), with a stop request; the hypervisor takes
 * it from the shared state after the run instead of in a JavaScript hook with a register read. */
static void on_interrupt(uc_engine *uc, uint32_t intno, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    c->interrupt_no = intno;
    c->interrupt_pc = unalias(c, read_pc(c));
    c->interrupted = 1;
    c->flags |= FLAG_STOP | FLAG_ABORT;
    sync_fast(c);
    uc_emu_stop(uc);
}

/* Installs on_interrupt (the engine's only interrupt hook). Returns Unicorn's error code. */
int hv_counter_stop_on_interrupts(struct hv_counter *c)
{
    uc_hook hh;
    return uc_hook_add(c->uc, &hh, UC_HOOK_INTR, (void *)on_interrupt, c, 1, 0);
}

/* Every run of the engine ends before the instruction at `address` is fetched (a normal end,
 * as a WFI's: Unicorn translates a block that halts there once and keeps it). A call's return
 * address ends the call without an unmapped fetch, which Unicorn would try to translate (twice)
 * at every return and report through a memory hook. Returns Unicorn's error code. */
int hv_counter_set_exit(struct hv_counter *c, uint32_t address)
{
    c->standing_exit = address;
    c->standing_exits = 1;
    return uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), &c->standing_exit, (size_t)1);
}

void restore_exits(struct hv_counter *c)
{
    uint64_t none = 0;
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), c->standing_exits ? &c->standing_exit : &none, (size_t)c->standing_exits);
}

/* Cycle timing (JavaScript set FLAG_CYCLES and the map): the block hook that charges refills
 * replaces the other one. Called before any code ran (the hook's place among the engine's block
 * hooks changes: last). Returns Unicorn's error code. */
int hv_counter_use_cycle_hook(struct hv_counter *c)
{
    int err = uc_hook_del(c->uc, c->block_hook);
    if (!err) err = uc_hook_add(c->uc, &c->block_hook, UC_HOOK_BLOCK, (void *)on_block_cycles, c, 0, (uint64_t)c->alias_lo - 1);
    return err;
}

/* Executable RAM at [base, base + size) (host memory `host`) is also mapped at `alias`, below
 * SCRATCH_AT (used by finish.c). */
int hv_counter_add_alias(struct hv_counter *c, uint32_t base, uint32_t size, uint32_t alias, void *host)
{
    if (c->alias_count >= MAX_ALIASES || alias < c->alias_lo || alias + (uint64_t)size > SCRATCH_AT) return -1;
    c->aliases[c->alias_count++] = (struct alias){base, size, alias, host};
    return 0;
}

/* Forgets every decoded block (the cycle map was cleared, or guest memory reloaded). */
void hv_counter_flush(struct hv_counter *c)
{
    cache_clear(&c->cache);
    retire_cur(c);
    c->stale_count = MAX_STALE + 1;
}

/* After uc_close: Unicorn no longer maps the scratch copy. */
void hv_counter_free(struct hv_counter *c)
{
    cache_free(&c->cache);
    hv_mmio_free_all(c);
    free(c->scratch);
    c->scratch = NULL;
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
        offsetof(struct hv_counter, retranslations), offsetof(struct hv_counter, end_pc),
        offsetof(struct hv_counter, scratch_window), offsetof(struct hv_counter, fast_limit),
        offsetof(struct hv_counter, interrupted),  offsetof(struct hv_counter, interrupt_no),
        offsetof(struct hv_counter, interrupt_pc), offsetof(struct hv_counter, access_pc),
    };
    int n = (int)(sizeof offsets / sizeof offsets[0]);
    for (int i = 0; i < n && i < count; i++) out[i] = offsets[i];
    return n;
}
