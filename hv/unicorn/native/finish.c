/*
 * Finishing a budget exactly inside a translated block. The block hook can only stop before a
 * block; when the budget ends k instructions into it (or a division must be checked there, or an
 * MMIO callback asked to stop right after its instruction), the run stops before the block (or on
 * the MMIO instruction) and the remaining instructions run here:
 *  - at an alias: guest memory is mapped a second time (JavaScript maps executable RAM at
 *    0x70000000 up, see engine.ts) and a code hook on the alias range stops at the target. The
 *    alias translations are cached, so this costs one extra uc_emu_start (~0.6 us). When the
 *    target is inside an IT block (Unicorn ignores a stop there), the alias of the target is
 *    Unicorn's exit address instead (one translation, ~10 us). The alias cannot be used when an
 *    instruction before the target reads the PC as a value (its result would be an alias address);
 *  - by retranslation: the translations covering the range are dropped and the code runs at its
 *    own address with the target as Unicorn's exit address (~20 us: two translations).
 */
#include "counter.h"

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
    for (uint32_t i = 0; i < c->alias_count; i++) {
        const struct alias *a = &c->aliases[i];
        if (addr - a->alias < a->size) return a->base + (addr - a->alias);
    }
    return addr;
}

/* Drops alias translations of code that was translated again at its own address (it may have
 * changed: a write through one mapping does not drop the other mapping's translations). */
void drop_stale_aliases(struct hv_counter *c)
{
    if (c->stale_count == 0) return;
    if (c->stale_count > MAX_STALE) {
        for (uint32_t i = 0; i < c->alias_count; i++) {
            const struct alias *a = &c->aliases[i];
            uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)a->alias, (uint64_t)a->alias + a->size);
        }
    } else {
        for (uint32_t i = 0; i < c->stale_count; i++) {
            uint32_t start = alias_of(c, c->stale[i].start);
            if (start == 0) continue;
            uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)start,
                   (uint64_t)start + (c->stale[i].end - c->stale[i].start));
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

/* At the alias: stopped by the code hook, or (a target inside an IT block, where Unicorn ignores
 * a stop) with the alias of the target as the exit address: one translation of the alias block,
 * which Unicorn drops after the run. */
static int run_at_alias(struct hv_counter *c, uint32_t pc, uint32_t target, int in_it)
{
    drop_stale_aliases(c);
    uint64_t exit = alias_of(c, target);
    set_mode(c, MODE_ALIAS);
    c->alias_begin = alias_of(c, pc);
    c->alias_stop = in_it ? 0 : (uint32_t)exit;
    c->alias_stopped = 0;
    if (in_it) {
        uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), &exit, (size_t)1);
        uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)c->alias_begin, exit);
    }
    int err = uc_emu_start(c->uc, alias_of(c, pc) | 1, 0, 0, 0);
    if (in_it) uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), &exit, (size_t)0);
    uint32_t now = 0;
    uc_reg_read(c->uc, UC_ARM_REG_PC, &now);
    uint32_t back = unalias(c, now);
    if (back != now) set_pc(c->uc, back);
    if (!in_it) c->finishes++;
    return err;
}

static int run_until(struct hv_counter *c, uint32_t pc, uint32_t target)
{
    uint64_t exit = target;
    set_mode(c, MODE_UNTIL);
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), &exit, (size_t)1);
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_TB_REMOVE_CACHE, 2), (uint64_t)pc, (uint64_t)target);
    int err = uc_emu_start(c->uc, pc | 1, 0, 0, 0);
    uc_ctl(c->uc, UC_CTL_WRITE(UC_CTL_UC_EXITS, 2), &exit, (size_t)0);
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
    int alias = alias_usable(c, b, c->finish.from, c->finish.to);
    int err = alias ? run_at_alias(c, pc, target, in_it) : run_until(c, pc, target);
    set_mode(c, MODE_MAIN);
    if (!alias || in_it) count_translation(c);
    return err;
}
