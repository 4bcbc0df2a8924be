/*
 * Finishing a budget exactly inside a translated block. The block hook can only stop before a
 * block; when the budget ends k instructions into it (or a division must be checked there, or an
 * MMIO callback asked to stop right after its instruction), the run stops before the block (or on
 * the MMIO instruction) and the remaining instructions run here:
 *  - at an alias: guest memory is mapped a second time (JavaScript maps executable RAM at
 *    0x70000000 up, see engine.ts) and a code hook on the alias range stops at the target. The
 *    alias translations are cached, so this costs one extra uc_emu_start (~0.6 us). When the
 *    target is inside an IT block (Unicorn ignores a stop there), the code runs instead at a
 *    scratch copy of the pages around it (at the top of the alias range) with the target as
 *    Unicorn's exit address: one translation. Unicorn drops the translation holding the byte
 *    before an exit address after every run; here, those of the scratch copy only (the copy is
 *    other host memory), where at the alias or at the code's own address it would drop the
 *    code's own translations too (Unicorn finds both by host address): ~5 translations.
 *    The alias cannot be used when an instruction before the target reads the PC as a value
 *    (its result would be an alias address);
 *  - by retranslation: the translations covering the range are dropped and the code runs at its
 *    own address with the target as Unicorn's exit address (~20 us: two translations).
 */
#include <stdlib.h>
#include <string.h>
#include "counter.h"

static void count_translation(struct hv_counter *c);

uint32_t alias_of(const struct hv_counter *c, uint32_t addr)
{
    for (uint32_t i = 0; i < c->alias_count; i++) {
        const struct alias *a = &c->aliases[i];
        if (addr - a->base < a->size) return a->alias + (addr - a->base);
    }
    return 0;
}

uint32_t unalias(const struct hv_counter *c, uint32_t addr)
{
    if (addr - SCRATCH_AT < SCRATCH_SIZE) return c->scratch_window + (addr - SCRATCH_AT);
    for (uint32_t i = 0; i < c->alias_count; i++) {
        const struct alias *a = &c->aliases[i];
        if (addr - a->alias < a->size) return a->base + (addr - a->alias);
    }
    return addr;
}

/* Drops alias translations of code that was translated again at its own address (it may have
 * changed: a write through one mapping does not drop the other mapping's translations). */
static void drop_alias_range(struct hv_counter *c, uint32_t start, uint32_t size)
{
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)start, (uint64_t)start + size);
}

void drop_stale_aliases(struct hv_counter *c)
{
    if (c->stale_count == 0) return;
    if (c->stale_count > MAX_STALE) {
        for (uint32_t i = 0; i < c->alias_count; i++) drop_alias_range(c, c->aliases[i].alias, c->aliases[i].size);
    } else {
        for (uint32_t i = 0; i < c->stale_count; i++) {
            uint32_t start = alias_of(c, c->stale[i].start);
            if (start != 0) drop_alias_range(c, start, c->stale[i].end - c->stale[i].start);
        }
    }
    c->stale_count = 0;
}

static int alias_usable(const struct hv_counter *c, const struct block *b, uint32_t from, uint32_t to)
{
    if (alias_of(c, b->addr) == 0 || alias_of(c, b->addr + b->size - 1) == 0) return 0;
    for (uint32_t i = from; i < to; i++)
        if (INSN_FLAGS(block_insn(c, b, i)) & INSN_PC_VALUE) return 0;
    return 1;
}

/* At alias set 0 from `pc`: stopped by the code hook before `target` (not inside an IT block). */
static int run_at_alias(struct hv_counter *c, uint32_t pc, uint32_t target)
{
    drop_stale_aliases(c);
    set_mode(c, MODE_ALIAS);
    c->alias_begin = alias_of(c, pc);
    c->alias_stop = alias_of(c, target);
    c->alias_stopped = 0;
    int err = uc_emu_start(c->uc, c->alias_begin | 1, 0, 0, 0);
    uint32_t now = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &now);
    uint32_t back = unalias(c, now);
    if (back != now) set_pc(c->uc, back);
    return err;
}

/* The alias region holding [lo, hi), or NULL. */
static const struct alias *region_of(const struct hv_counter *c, uint32_t lo, uint32_t hi)
{
    for (uint32_t i = 0; i < c->alias_count; i++) {
        const struct alias *a = &c->aliases[i];
        if (lo - a->base < a->size && hi - a->base <= a->size) return a;
    }
    return NULL;
}

/* Copies the guest pages around [pc, target) (one more on each side, for literal loads) into the
 * scratch memory, mapped on first use; returns 0, or -1 when they do not fit. */
static int fill_scratch(struct hv_counter *c, uint32_t pc, uint32_t target)
{
    const struct alias *a = region_of(c, pc, target);
    if (!a || !a->host) return -1;
    uint32_t lo = (pc & ~(SCRATCH_PAGE - 1)) - SCRATCH_PAGE, hi = ((target + SCRATCH_PAGE - 1) & ~(SCRATCH_PAGE - 1)) + SCRATCH_PAGE;
    if (lo < a->base || lo > pc) lo = a->base;
    if (hi > a->base + a->size || hi < target) hi = a->base + a->size;
    if (hi - lo > SCRATCH_SIZE) return -1;
    if (!c->scratch) {
        void *memory = NULL;
        if (posix_memalign(&memory, SCRATCH_PAGE, SCRATCH_SIZE) != 0) return -1;
        if (uc_mem_map_ptr(c->uc, SCRATCH_AT, SCRATCH_SIZE, 1 | 4, memory) != 0) {
            free(memory);
            return -1;
        }
        c->scratch = memory;
    }
    memcpy(c->scratch, (const uint8_t *)a->host + (lo - a->base), hi - lo);
    c->scratch_window = lo;
    /* Translations of an earlier copy (the one that held the exit is gone already). */
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)SCRATCH_AT, (uint64_t)SCRATCH_AT + SCRATCH_SIZE);
    return 0;
}

/* The target is inside an IT block: from `pc` to `target` at the scratch copy, `target` the exit
 * address. Returns -1 (nothing run) when the code does not fit there. */
static int run_in_scratch(struct hv_counter *c, uint32_t pc, uint32_t target)
{
    if (fill_scratch(c, pc, target) != 0) return -1;
    uint64_t exit = SCRATCH_AT + (target - c->scratch_window);
    set_mode(c, MODE_ALIAS);
    c->alias_begin = SCRATCH_AT + (pc - c->scratch_window);
    c->alias_stop = 0;
    c->alias_stopped = 0;
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), &exit, (size_t)1);
    int err = uc_emu_start(c->uc, c->alias_begin | 1, 0, 0, 0);
    restore_exits(c);
    uint32_t now = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &now);
    uint32_t back = unalias(c, now);
    if (back != now) set_pc(c->uc, back);
    count_translation(c);
    return err;
}

static int run_until(struct hv_counter *c, uint32_t pc, uint32_t target)
{
    uint64_t exit = target;
    set_mode(c, MODE_UNTIL);
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), &exit, (size_t)1);
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)pc, (uint64_t)target);
    int err = uc_emu_start(c->uc, pc | 1, 0, 0, 0);
    restore_exits(c);
    return err;
}

/*
 * Runs instructions finish.from .. finish.to - 1 of finish.b from `pc` (the address of
 * instruction `from`). Returns Unicorn's error; the PC is left at the target when it was reached.
 */
/*
 * Translations made for finishes are dropped right after use, but their code stays in Unicorn's
 * buffer until the buffer is flushed. Unicorn 2.1.1 crashes (tb_set_jmp_target on a freed block)
 * when the buffer fills during a run, so the counter flushes it itself, between runs, long
 * before: every FLUSH_EVERY such translations (~2 KiB each, against a 1 GiB buffer).
 */
#define FLUSH_EVERY 16384u

static void count_translation(struct hv_counter *c)
{
    c->retranslations++;
    if (++c->since_flush < FLUSH_EVERY) return;
    c->since_flush = 0;
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
    c->stale_count = 0;
}

int finish_run(struct hv_counter *c, uint32_t pc)
{
    const struct block *b = c->finish.b;
    c->block_mark = c->done; /* the cursor belongs to the finish, not to a block entry */
    c->cursor = c->finish.from;
    uint32_t target = b->addr + INSN_OFFSET(block_insn(c, b, c->finish.to));
    int in_it = (INSN_FLAGS(block_insn(c, b, c->finish.to)) & INSN_IN_IT) != 0;
    int err = -1;
    if (alias_usable(c, b, c->finish.from, c->finish.to)) {
        drop_stale_aliases(c);
        err = in_it ? run_in_scratch(c, pc, target) : run_at_alias(c, pc, target);
        if (err != -1 && !in_it) c->finishes++; /* the scratch copy's translation counts as a retranslation */
    }
    if (err == -1) {
        err = run_until(c, pc, target);
        count_translation(c);
    }
    set_mode(c, MODE_MAIN);
    return err;
}
