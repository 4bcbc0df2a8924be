/*
 * Native instruction counter for hvlab's Unicorn binding.
 *
 * Unicorn 2.0.1 has no API that tells how many instructions ran when emulation stops early (a
 * trap, WFI, an exception), and a JavaScript code hook costs ~115 ns per instruction. This hook
 * is called by Unicorn before every guest instruction, like Unicorn's own count hook, and keeps
 * its state in memory that JavaScript reads and writes directly:
 *   executed  instructions retired since the run started (written here);
 *   limit     stop before executing instruction number limit + 1 (written by JavaScript, may be
 *             lowered or raised during the run, e.g. when a device schedules an earlier event);
 *   flags     FLAG_STOP: set by JavaScript to stop before the next instruction (stopping from
 *             inside an MMIO callback with uc_emu_stop would re-execute the trapping instruction
 *             on restart in Unicorn 2.0.1, so traps set this flag instead);
 *             FLAG_PENDING: set here when this hook asked Unicorn to stop. Unicorn cannot stop
 *             inside an IT block and ignores the request until the block ends: when the hook is
 *             called again, the instruction it was called for last time did run and counts then;
 *             FLAG_WATCH: the registers watch_ids[] are read before every instruction and the run
 *             stops as soon as one differs from watch_values[]; the hypervisor uses it while an
 *             interrupt waits for PRIMASK/FAULTMASK/BASEPRI, to take it right after the
 *             instruction that unmasks it;
 *             FLAG_DIV_TRAP: an instruction starting where div_map (one byte per halfword from
 *             div_base) is non-zero is an SDIV/UDIV whose divisor is register
 *             div_regs[entry - 1]; if it is zero the run stops before the division and
 *             div_fault is set, so that the hypervisor raises the DIVBYZERO UsageFault
 *             (CCR.DIV_0_TRP), which Unicorn 2.0.1 does not implement.
 *             FLAG_CYCLES: cycle timing: an instruction starting where cycle_map (one byte per
 *             halfword from cycle_base) holds n costs n cycles, plus branch_penalty when it does
 *             not follow the previous instruction (that one was a taken branch: pipeline refill);
 *             an entry of 0 means "not decoded yet": the run stops before the instruction and
 *             need_decode is set, so that the hypervisor decodes the block and resumes.
 *   cycles    cycles of the retired instructions (equal to executed without FLAG_CYCLES); the
 *             limit applies to cycles.
 * The common case (no flag, limit not reached) is one comparison, so the hook costs what
 * Unicorn's own count hook costs. Only uc_hook_add, uc_emu_stop, uc_reg_read and
 * uc_reg_read_batch of libunicorn.so.2 are used.
 */
#include <stddef.h>
#include <stdint.h>

typedef struct uc_struct uc_engine;
typedef size_t uc_hook;
extern int uc_emu_stop(uc_engine *uc);
extern int uc_reg_read_batch(uc_engine *uc, int *regs, void **vals, int count);
extern int uc_reg_read(uc_engine *uc, int regid, void *value);
extern int uc_hook_add(uc_engine *uc, uc_hook *hh, int type, void *callback, void *user_data,
                       uint64_t begin, uint64_t end, ...);

#define UC_HOOK_CODE 4
#define WATCHED 3
#define FLAG_STOP 1u
#define FLAG_PENDING 2u
#define FLAG_WATCH 4u
#define FLAG_DIV_TRAP 8u
#define FLAG_CYCLES 16u

struct hv_counter {
    uint32_t executed;
    uint32_t limit;
    uint32_t flags;
    uint32_t cycles;
    uint32_t pending_cost;
    uint32_t last_cost;
    uint32_t need_decode;
    uint32_t prev_end;
    uint32_t branch_penalty;
    uint32_t cycle_base;
    uint32_t cycle_size;
    uint32_t div_fault;
    int32_t watch_ids[WATCHED];
    uint32_t watch_values[WATCHED];
    uint32_t div_base;
    uint32_t div_size;
    const uint8_t *div_map;
    const uint8_t *cycle_map;
    int32_t div_regs[16];
};

static int watched_registers_changed(uc_engine *uc, struct hv_counter *c)
{
    uint32_t now[WATCHED] = {0};
    void *ptrs[WATCHED];
    for (int i = 0; i < WATCHED; i++) ptrs[i] = &now[i];
    uc_reg_read_batch(uc, c->watch_ids, ptrs, WATCHED);
    for (int i = 0; i < WATCHED; i++)
        if (now[i] != c->watch_values[i]) return 1;
    return 0;
}

static int is_division_by_zero(uc_engine *uc, struct hv_counter *c, uint64_t address)
{
    uint64_t offset = address - c->div_base;
    if (address < c->div_base || offset >= c->div_size) return 0;
    uint8_t entry = c->div_map[offset >> 1];
    if (entry == 0) return 0;
    uint32_t divisor = 1;
    uc_reg_read(uc, c->div_regs[(entry - 1) & 15], &divisor);
    return divisor == 0;
}

/* Cycles of the instruction at `address` under cycle timing; 0 when it is not decoded yet. */
static uint32_t instruction_cycles(struct hv_counter *c, uint64_t address)
{
    uint32_t cost = 1;
    uint64_t offset = address - c->cycle_base;
    if (address >= c->cycle_base && offset < c->cycle_size) cost = c->cycle_map[offset >> 1];
    if (cost != 0 && c->prev_end != 0 && address != c->prev_end) cost += c->branch_penalty;
    return cost;
}

static void slow_path(uc_engine *uc, struct hv_counter *c, uint64_t address, uint32_t size)
{
    if (c->flags & FLAG_PENDING) {
        c->executed++;
        c->cycles += c->pending_cost;
    }
    if ((c->flags & FLAG_WATCH) && watched_registers_changed(uc, c)) c->flags |= FLAG_STOP;
    if ((c->flags & (FLAG_DIV_TRAP | FLAG_PENDING)) == FLAG_DIV_TRAP && is_division_by_zero(uc, c, address)) {
        c->div_fault = 1;
        c->flags |= FLAG_STOP;
    }
    uint32_t cost = 1;
    if (c->flags & FLAG_CYCLES) {
        cost = instruction_cycles(c, address);
        if (cost == 0) {
            c->need_decode = 1;
            c->flags |= FLAG_STOP;
        }
    }
    /* A run whose budget is smaller than its first instruction's cycles still runs that
     * instruction (the deadline is overshot by less than one instruction), or it could never
     * make progress. */
    int over = c->cycles >= c->limit || (c->cycles + cost > c->limit && c->cycles > 0);
    if ((c->flags & FLAG_STOP) || over) {
        c->flags |= FLAG_PENDING;
        c->pending_cost = cost;
        uc_emu_stop(uc);
        return;
    }
    c->executed++;
    c->cycles += cost;
    c->last_cost = cost;
    c->prev_end = (uint32_t)address + size;
}

static void hv_count_instruction(uc_engine *uc, uint64_t address, uint32_t size, void *user_data)
{
    struct hv_counter *c = (struct hv_counter *)user_data;
    if (__builtin_expect((c->cycles < c->limit) & (c->flags == 0), 1)) {
        c->executed++;
        c->cycles++;
        return;
    }
    slow_path(uc, c, address, size);
}

/* Installs the counting hook on every address; returns Unicorn's error code. */
int hv_counter_attach(uc_engine *uc, uc_hook *hh, struct hv_counter *counter)
{
    return uc_hook_add(uc, hh, UC_HOOK_CODE, (void *)hv_count_instruction, counter, 1, 0);
}

/* Size of the shared state, checked by the JavaScript side. */
int hv_counter_state_size(void)
{
    return (int)sizeof(struct hv_counter);
}

/* Byte offsets of the fields, in declaration order, so JavaScript never hard-codes the layout. */
int hv_counter_offsets(uint32_t *out, int count)
{
    const uint32_t offsets[] = {
        offsetof(struct hv_counter, executed),     offsetof(struct hv_counter, limit),
        offsetof(struct hv_counter, flags),        offsetof(struct hv_counter, div_fault),
        offsetof(struct hv_counter, watch_ids),    offsetof(struct hv_counter, watch_values),
        offsetof(struct hv_counter, div_base),     offsetof(struct hv_counter, div_size),
        offsetof(struct hv_counter, div_map),      offsetof(struct hv_counter, div_regs),
        offsetof(struct hv_counter, cycles),       offsetof(struct hv_counter, pending_cost),
        offsetof(struct hv_counter, last_cost),    offsetof(struct hv_counter, need_decode),
        offsetof(struct hv_counter, prev_end),     offsetof(struct hv_counter, branch_penalty),
        offsetof(struct hv_counter, cycle_base),   offsetof(struct hv_counter, cycle_size),
        offsetof(struct hv_counter, cycle_map),
    };
    int n = (int)(sizeof offsets / sizeof offsets[0]);
    for (int i = 0; i < n && i < count; i++) out[i] = offsets[i];
    return n;
}
