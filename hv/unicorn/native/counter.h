/*
 * Shared declarations of hvlab's native instruction counter (insn-counter.c, block-cache.c,
 * finish.c, mmio.c). See insn-counter.c for the design.
 */
#ifndef HV_COUNTER_H
#define HV_COUNTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct uc_struct uc_engine;
typedef size_t uc_hook;
typedef struct uc_tb {
    uint64_t pc;
    uint16_t icount;
    uint16_t size;
} uc_tb;

extern int uc_emu_start(uc_engine *uc, uint64_t begin, uint64_t until, uint64_t timeout, size_t count);
extern int uc_emu_stop(uc_engine *uc);
extern int uc_reg_read_batch(uc_engine *uc, int *regs, void **vals, int count);
extern int uc_reg_read(uc_engine *uc, int regid, void *value);
extern int uc_reg_write(uc_engine *uc, int regid, const void *value);
extern int uc_mem_read(uc_engine *uc, uint64_t address, void *bytes, size_t size);
extern int uc_ctl(uc_engine *uc, int control, ...);
extern int uc_hook_del(uc_engine *uc, uc_hook hh);
extern int uc_hook_add(uc_engine *uc, uc_hook *hh, int type, void *callback, void *user_data,
                       uint64_t begin, uint64_t end, ...);
extern int uc_mmio_map(uc_engine *uc, uint64_t address, size_t size, void *read_cb,
                       void *user_data_read, void *write_cb, void *user_data_write);

#define UC_HOOK_INTR 1
#define UC_HOOK_CODE 4
#define UC_HOOK_BLOCK 8
#define UC_HOOK_MEM_READ_UNMAPPED 16
#define UC_HOOK_MEM_WRITE_UNMAPPED 32
#define UC_HOOK_MEM_READ_PROT 128
#define UC_HOOK_MEM_WRITE_PROT 256
#define UC_MEM_WRITE_UNMAPPED 20
#define UC_MEM_WRITE_PROT 22
#define UC_HOOK_EDGE_GENERATED (1 << 15)
#define UC_ARM_REG_PC 11
/* uc_ctl numbers (unicorn.h: type | nr << 26 | rw << 30; rw 1 = write). */
#define UC_CTL_WRITE(type, nr) ((int)((type) | ((nr) << 26) | (1u << 30)))
#define UC_CTL_UC_USE_EXITS 4
#define UC_CTL_UC_EXITS 6
#define UC_CTL_TB_REMOVE_CACHE 9
#define UC_CTL_TB_FLUSH 10

/* Sets the PC with the Thumb bit: Unicorn takes bit 0 of a PC write as the Thumb state, and a
 * clear one would show in the xPSR the hypervisor stacks on exception entry. */
static inline void set_pc(uc_engine *uc, uint32_t pc)
{
    uint32_t value = pc | 1u;
    uc_reg_write(uc, UC_ARM_REG_PC, &value);
}

#define WATCHED 3
#define FLAG_STOP 1u     /* JavaScript: stop after the current instruction */
#define FLAG_PENDING 2u  /* set here: the counter stopped the run (limit, watch, decode, division) */
#define FLAG_WATCH 4u
#define FLAG_DIV_TRAP 8u
#define FLAG_CYCLES 16u
#define FLAG_ABORT 32u   /* JavaScript (Engine.stop): stop on the current instruction, do not finish it */
#define FLAG_NOT_MAIN 64u /* set here: a finish is running (mode != MODE_MAIN), the block hook counts nothing */
#define FLAG_UNALIGNED 128u /* an MMIO access was unaligned (alignment.c): refused, the run aborted on it */
/* Flags that send every block to the block hook's slow path. */
#define SLOW_FLAGS (FLAG_STOP | FLAG_WATCH | FLAG_DIV_TRAP | FLAG_NOT_MAIN)

/* Per-instruction flags in a decoded block. */
#define INSN_PC_VALUE 1u /* reads the PC as a value (ADR, add/mov/cmp with pc): cannot run at an alias */
#define INSN_IN_IT 2u    /* inside an IT block (or maybe: conservative) */
#define INSN_DIV 4u      /* SDIV/UDIV; the divisor register is in bits 4-7 */

/* Guest code decoded once per translated block: instruction offsets, costs and flags. The block
 * hook's common case reads only the first 16 bytes: the address and `size_word` (a dead block's
 * address is DEAD_ADDR; a slow one's size_word is not its size), and `add`, the block's
 * instructions and cycles, added to the run's count with one addition. */
struct block {
    uint32_t addr;
    union {
        struct {
            uint16_t size;
            uint16_t slow;   /* 1: the hook takes the slow path (costs not all decoded yet) */
        };
        uint32_t size_word;  /* size while `slow` is 0: what the hook compares */
    };
    union {
        uint64_t add;    /* PACK(n, cost) */
        struct {
            uint32_t cost; /* cycles of the whole block (n without cycle timing), no refill */
            uint16_t n;    /* instructions, condition-failed IT instructions included */
            uint16_t zero;
        };
    };
    uint32_t first;      /* index of the first instruction in the pool */
    uint8_t alive;
    uint8_t has_div;
    uint8_t has_pc_value;
    uint8_t undecoded;   /* cycle timing: some instruction's cost is not known yet */
    uint8_t instrumented; /* has a code hook: MMIO accesses in it are exact (insn-counter.c) */
    uint32_t checksum;   /* of the code bytes: a new translation with other bytes drops the block */
};
/* Instructions and cycles packed the way `add` and the run's count (`done`) hold them. */
#define PACK(n, cycles) (((uint64_t)(n) << 32) | (uint32_t)(cycles))
#define DONE_N(d) ((uint32_t)((d) >> 32))
#define DONE_CYCLES(d) ((uint32_t)(d))

/* One pool word per instruction: offset in the block (16 bits), cycles (8), flags (8). */
#define INSN_OFFSET(w) ((w) & 0xffffu)
#define INSN_COST(w) (((w) >> 16) & 0xffu)
#define INSN_FLAGS(w) ((w) >> 24)

struct block_cache {
    struct block *slots;
    uint32_t mask;     /* capacity - 1 */
    uint32_t capacity; /* power of two */
    uint32_t used;
    uint32_t *pool;
    uint32_t pool_size;
    uint32_t pool_used;
};

struct alias {
    uint32_t base, size, alias;
    void *host;              /* the host memory mapped there (to map it again, finish.c) */
};
/* Exact finishes inside IT blocks run at a copy of the code's pages here, at the top of the alias
 * range (finish.c); JavaScript's aliases stay below SCRATCH_AT. */
#define SCRATCH_AT 0x9fff0000u
#define SCRATCH_SIZE 0x10000u
#define SCRATCH_PAGE 0x1000u
extern int uc_mem_map_ptr(uc_engine *uc, uint64_t address, size_t size, uint32_t perms, void *ptr);
#define MAX_ALIASES 32
#define MAX_STALE 64

enum mode { MODE_MAIN = 0, MODE_ALIAS = 1, MODE_UNTIL = 2 };
enum finish_kind { FINISH_NONE = 0, FINISH_LIMIT, FINISH_DIV, FINISH_STOP };

struct replay {
    void *region;
    uint64_t offset, value;
    uint32_t size, write, active;
};
#define MAX_INSTRUMENTED 256
/* The address of a dead block (never a Thumb instruction address), so that lookups skip it. */
#define DEAD_ADDR 1u
#define NO_INDEX 0xffffffffu


/* State shared with JavaScript (offsets reported by hv_counter_offsets) and private state. The
 * fields the block hook touches for every block come first, in two cache lines. */
struct hv_counter {
    uint32_t executed;   /* instructions retired in this run (exact after the run and in MMIO callbacks) */
    uint32_t limit;      /* cycle budget of the run (instructions without cycle timing) */
    uint32_t flags;
    uint32_t cycles;
    uint32_t prev_end;   /* end of the last block (branch refill); 0: the stream was broken */
    uint32_t branch_penalty;
    uint32_t fast_limit; /* limit, or 0 while a flag of SLOW_FLAGS is set (sync_fast; JavaScript keeps it too) */
    /* private, hot */
    uint64_t done;           /* PACK(instructions, cycles) of the blocks entered in this run, the
                              * one in progress (cur) included: the block hook counts on entry */
    struct block *cur;       /* block in progress (NULL: none) */
    struct block_cache cache;
    uint32_t cur_penalty;    /* the refill charged on entering cur (cycle timing) */
    enum mode mode;          /* FLAG_NOT_MAIN is set in `flags` unless MODE_MAIN (set_mode) */
    /* Per entered block, reset lazily (block_state) when `done` moved since block_mark. */
    uint64_t block_mark;
    uint32_t live_index;     /* instrumented block: index of the instruction about to run */
    uint32_t cursor;         /* next instruction that may access memory in the current block */
    uint32_t stop_at;        /* instrumented block: stop before this index (NO_INDEX: none) */
    /* shared, cold */
    uint32_t finishes;   /* statistics: exact finishes at an alias / by retranslation */
    uint32_t last_cost;
    uint32_t need_decode;
    uint32_t cycle_base, cycle_size;
    uint32_t div_fault;
    int32_t watch_ids[WATCHED];
    uint32_t watch_values[WATCHED];
    uint32_t decode_start, decode_end; /* cycle timing: the code JavaScript must decode */
    uint32_t retranslations;
    uint32_t end_pc;     /* the PC when the last run ended (saves JavaScript a register read) */
    uint32_t scratch_window; /* guest address of the scratch copy's first byte (JavaScript unaliases with it) */
    uint32_t interrupted;    /* hv_counter_stop_on_interrupts: the run stopped on CPU exception interrupt_no */
    uint32_t interrupt_no;   /* QEMU's exception number (SVC = 2, ...) */
    uint32_t interrupt_pc;   /* the PC it was raised at (unaliased) */
    const uint8_t *cycle_map;
    int32_t div_regs[16];
    /* private, cold */
    uc_engine *uc;
    uc_hook block_hook;
    uint32_t alias_lo;       /* the block hook covers [0, alias_lo) */
    uint8_t *scratch;        /* the scratch copy (NULL until the first finish inside an IT block) */
    struct { enum finish_kind kind; struct block *b; uint32_t from, to, penalty; } finish;
    uint32_t alias_begin;    /* MODE_ALIAS: where the alias run started */
    uint32_t alias_stop;     /* MODE_ALIAS: stop before this (alias) address */
    uint32_t alias_stopped;  /* the alias run stopped at alias_stop or for FLAG_STOP */
    struct replay replay;
    uint32_t access_pc;      /* address of the instruction of the MMIO access in progress (0: none; JavaScript reads it as the PC) */
    uint32_t abort_pc;       /* Engine.stop() during an MMIO access: the PC to leave */
    uint32_t stopped_before; /* the code hook stopped before this address (not entered) */
    uint32_t block_stop_pc;  /* the block hook stopped before this block (0: no) */
    struct block *to_instrument[16];
    struct { uint32_t lo, hi; } instrumented[MAX_INSTRUMENTED];
    uint32_t to_instrument_count;
    uint32_t instrumented_count;
    struct alias aliases[MAX_ALIASES];
    uint32_t alias_count;
    struct { uint32_t start, end; } stale[MAX_STALE];
    uint32_t stale_count;    /* alias translations to drop before the next alias run; > MAX: all */
    uint32_t since_flush;    /* translations made for finishes since the last flush of all code */
    uint64_t standing_exit;  /* hv_counter_set_exit: an address whose fetch ends every run (a call's return) */
    uint32_t standing_exits; /* 0 or 1 */
    /* alignment.c: the code of recent MMIO-accessing instructions, by PC and their block's
     * checksum (a block whose bytes changed is decoded anew with another checksum) */
    struct align_code { uint32_t pc, sum; uint16_t code[2]; } align_code[16];
    void *mmio_regions;      /* list of MMIO trampolines (freed with the counter) */
};

/* The block hook's one budget check covers the flags too: a set slow flag makes it fail. */
/* The engine's exit addresses back to the standing one (or none) after a finish changed them. */
void restore_exits(struct hv_counter *c);

static inline void sync_fast(struct hv_counter *c)
{
    c->fast_limit = (c->flags & SLOW_FLAGS) ? 0 : c->limit;
}

static inline void set_mode(struct hv_counter *c, enum mode mode)
{
    c->mode = mode;
    c->flags = mode == MODE_MAIN ? c->flags & ~FLAG_NOT_MAIN : c->flags | FLAG_NOT_MAIN;
    sync_fast(c);
}

/* Cycles of the block in progress, its refill included (0: none). */
static inline uint32_t cur_cost(const struct hv_counter *c)
{
    return c->cur ? c->cur->cost + c->cur_penalty : 0;
}

/* Instructions and cycles of the blocks completed before the one in progress. */
static inline uint32_t done_executed(const struct hv_counter *c)
{
    return DONE_N(c->done) - (c->cur ? c->cur->n : 0);
}

static inline uint32_t done_cycles(const struct hv_counter *c)
{
    return DONE_CYCLES(c->done) - cur_cost(c);
}

/* The block in progress ran to its end (it is already counted in `done`). */
static inline void retire_cur(struct hv_counter *c)
{
    c->cur = NULL;
    c->cur_penalty = 0;
}

/* live_index, cursor and stop_at belong to one entry of a block: the block hook's common case
 * does not reset them; whoever reads them first after an entry (`done` moved) does. */
static inline void block_state(struct hv_counter *c)
{
    if (c->block_mark == c->done) return;
    c->block_mark = c->done;
    c->live_index = NO_INDEX;
    c->cursor = 0;
    c->stop_at = NO_INDEX;
}

/* block-cache.c */
int cache_init(struct block_cache *cache);
void cache_free(struct block_cache *cache);
void cache_clear(struct block_cache *cache);
struct block *block_decode(struct hv_counter *c, uint32_t addr, uint32_t size);
int cache_invalidate_changed(struct hv_counter *c, uint32_t addr);
uint32_t block_index_of(const struct hv_counter *c, const struct block *b, uint32_t pc);
uint32_t block_prefix_cost(const struct hv_counter *c, const struct block *b, uint32_t count);
uint32_t block_insn(const struct hv_counter *c, const struct block *b, uint32_t index);
void block_refresh_costs(struct hv_counter *c, struct block *b);

/* A block's home slot: its halfword address, modulo the table (direct: the hook's critical path
 * is a shift and a mask; code more than capacity halfwords apart shares slots, and linear probing
 * sends the later block to the slow path). */
static inline uint32_t slot_of(const struct block_cache *cache, uint32_t addr)
{
    return (addr >> 1) & cache->mask;
}

/* The live decoded block for a translated block at addr of `size` bytes, or NULL. */
static inline struct block *cache_lookup(struct block_cache *cache, uint32_t addr, uint32_t size)
{
    uint32_t mask = cache->capacity - 1;
    for (uint32_t i = slot_of(cache, addr);; i = (i + 1) & mask) {
        struct block *b = &cache->slots[i];
        if (b->size == 0) return NULL;
        if (b->addr == addr && b->size == size) return b; /* a dead block's address is DEAD_ADDR */
    }
}

/* Cycle timing: the pipeline refill a block pays when it is not entered by falling through. */
static inline uint32_t block_penalty(const struct hv_counter *c, const struct block *b)
{
    if (!(c->flags & FLAG_CYCLES) || c->prev_end == 0 || b->addr == c->prev_end) return 0;
    return c->branch_penalty;
}

/* finish.c */
int finish_run(struct hv_counter *c, uint32_t pc);
uint32_t alias_of(const struct hv_counter *c, uint32_t addr);
uint32_t unalias(const struct hv_counter *c, uint32_t addr);
void drop_stale_aliases(struct hv_counter *c);

/* access.c */
/* Index of the instruction that accessed `address` (NO_INDEX: none); *unique is set when no other
 * load/store at or after `from` matches. */
uint32_t guess_access_index(struct hv_counter *c, const struct block *b, uint32_t from, uint32_t address, int write, int *unique);

/* insn-counter.c */
void sync_live(struct hv_counter *c, uint32_t pc);
int divisor_is_zero(struct hv_counter *c, uint32_t insn);
void on_block(uc_engine *uc, uint64_t address, uint32_t size, void *user_data);
void on_block_cycles(uc_engine *uc, uint64_t address, uint32_t size, void *user_data);

/* counter-hooks.c */
void on_block_code(uc_engine *uc, uint64_t address, uint32_t size, void *user_data);
void on_alias_code(uc_engine *uc, uint64_t address, uint32_t size, void *user_data);
void on_translated(uc_engine *uc, uc_tb *tb, uc_tb *prev, void *user_data);
int on_bad_access(uc_engine *uc, int type, uint64_t address, int size, int64_t value, void *user_data);
int is_instrumented(const struct hv_counter *c, const struct block *b);
void instrument_pending(struct hv_counter *c);

/* mmio.c */
void hv_mmio_free_all(struct hv_counter *c);

/* alignment.c */
/* 1 when the instruction at `pc` makes this MMIO access at `address` without the alignment it
 * needs (the access must fault instead of reaching the device). */
int device_access_unaligned(struct hv_counter *c, uint32_t pc, uint32_t address);

#endif
