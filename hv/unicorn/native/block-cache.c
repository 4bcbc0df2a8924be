/*
 * Decoded translated blocks: for every block Unicorn executes, the instructions it holds (Thumb
 * lengths follow from the first halfword), what each costs (cycle timing: the map JavaScript
 * fills from capstone; otherwise 1), and what matters for finishing a budget exactly inside it:
 * instructions in IT blocks, instructions that read the PC as a value, divisions. Decoded once
 * per translation (an open-addressing table keyed by address and size) and dropped when Unicorn
 * translates that address again (self-modifying or reloaded code: insn-counter.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "counter.h"

_Static_assert(sizeof(struct block) == 32, "the block hook indexes 32-byte slots");

#define INITIAL_SLOTS 16384u
#define POOL_WORDS (1u << 18)
#define MAX_BLOCK_BYTES 4096u

/* The table is its own anonymous mapping: only the slots in use become resident (a guest's code
 * is small), and clearing hands the pages back instead of writing zeros over 512 KiB. */
static size_t slots_bytes(const struct block_cache *cache)
{
    return sizeof *cache->slots * cache->capacity;
}

int cache_init(struct block_cache *cache)
{
    cache->capacity = INITIAL_SLOTS;
    cache->mask = INITIAL_SLOTS - 1;
    void *slots = mmap(NULL, slots_bytes(cache), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cache->slots = slots == MAP_FAILED ? NULL : slots;
    cache->pool_size = POOL_WORDS;
    cache->pool = malloc(sizeof *cache->pool * cache->pool_size);
    cache->used = cache->pool_used = 0;
    return cache->slots && cache->pool ? 0 : -1;
}

void cache_free(struct block_cache *cache)
{
    if (cache->slots) munmap(cache->slots, slots_bytes(cache));
    free(cache->pool);
    cache->slots = NULL;
    cache->pool = NULL;
}

/* Forgets every block; pointers into the table stay valid (they see empty slots). */
void cache_clear(struct block_cache *cache)
{
    if (madvise(cache->slots, slots_bytes(cache), MADV_DONTNEED) != 0) memset(cache->slots, 0, slots_bytes(cache));
    cache->used = cache->pool_used = 0;
}

static uint32_t checksum(const uint16_t *code, uint32_t size)
{
    uint64_t h = 1469598103934665603ull;
    for (uint32_t i = 0; i < size / 2; i++) h = (h ^ code[i]) * 1099511628211ull;
    return (uint32_t)(h ^ (h >> 32));
}


/* Unicorn translated code at `addr` again: drops the decoded blocks there whose bytes changed
 * (returns how many). A translation dropped for another reason (a finish, a flush) keeps them. */
int cache_invalidate_changed(struct hv_counter *c, uint32_t addr)
{
    struct block_cache *cache = &c->cache;
    uint16_t code[MAX_BLOCK_BYTES / 2 + 2];
    uint32_t mask = cache->capacity - 1;
    int n = 0;
    for (uint32_t i = slot_of(cache, addr);; i = (i + 1) & mask) {
        struct block *b = &cache->slots[i];
        if (b->size == 0) return n;
        if (b->addr != addr || !b->alive) continue;
        if (uc_mem_read(c->uc, addr, code, b->size) == 0 && checksum(code, b->size) == b->checksum) continue;
        b->alive = 0;
        b->addr = DEAD_ADDR;
        n++;
    }
}

static int is_wide(uint16_t hw)
{
    return (hw >> 11) >= 0x1d;
}

/* Reads the PC as a value, so that the result differs when the code runs at an alias. Literal
 * loads are fine there (the alias maps the same bytes, at the same alignment). */
static int reads_pc_value(uint16_t hw1, uint16_t hw2, int wide)
{
    if (!wide) {
        if ((hw1 & 0xf800) == 0xa000) return 1; /* ADR */
        if (hw1 >= 0x4400 && hw1 < 0x4700) {    /* ADD/CMP/MOV (high registers) */
            unsigned rm = (hw1 >> 3) & 0xf, rdn = ((hw1 >> 4) & 8) | (hw1 & 7);
            return rm == 15 || rdn == 15;
        }
        return 0;
    }
    /* ADR (ADDW/SUBW with Rn = PC). Other 32-bit data processing with PC as Rn is MOV/MVN, or
     * UNPREDICTABLE, as is PC as Rm. */
    if (hw2 & 0x8000) return 0;
    return (hw1 & 0xfbff) == 0xf20f || (hw1 & 0xfbff) == 0xf2af;
}

/* Instructions of an IT block (1-4) that follow `hw` when it is an IT instruction, else 0. */
static unsigned it_length(uint16_t hw)
{
    if ((hw & 0xff00) != 0xbf00 || (hw & 0xf) == 0) return 0;
    unsigned mask = hw & 0xf;
    return 4 - (unsigned)__builtin_ctz(mask);
}

/* The block may start inside an IT block begun before it: an IT halfword among the four before
 * `addr` whose block still covers it. Conservative (a halfword of a wide instruction may look
 * like IT): callers only lose speed when this says yes wrongly. */
static unsigned inherited_it(uc_engine *uc, uint32_t addr)
{
    uint16_t before[4];
    if (addr < 8 || uc_mem_read(uc, addr - 8, before, sizeof before) != 0) return 0;
    unsigned worst = 0;
    for (unsigned k = 0; k < 4; k++) {
        unsigned len = it_length(before[3 - k]); /* k halfwords (= at least k/2 instructions) back */
        if (len > 0 && len * 2 > k) worst = len;
    }
    return worst;
}

static uint32_t cycle_cost(const struct hv_counter *c, uint32_t addr)
{
    if (!(c->flags & FLAG_CYCLES)) return 1;
    uint32_t off = addr - c->cycle_base;
    if (addr < c->cycle_base || off >= c->cycle_size) return 1;
    return c->cycle_map[off >> 1];
}

/* Recomputes the costs of `b` from the cycle map (after JavaScript decoded it). */
void block_refresh_costs(struct hv_counter *c, struct block *b)
{
    uint32_t total = 0, undecoded = 0;
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t *w = &c->cache.pool[b->first + i];
        uint32_t cost = cycle_cost(c, b->addr + INSN_OFFSET(*w));
        if (cost == 0) undecoded = 1;
        *w = (*w & 0xff00ffffu) | (cost << 16);
        total += cost;
    }
    b->cost = total;
    b->undecoded = (uint8_t)undecoded;
    b->slow = (uint16_t)undecoded;
}

static struct block *insert(struct block_cache *cache, uint32_t addr, uint32_t size)
{
    if ((cache->used + 1) * 4 > cache->capacity * 3 || cache->pool_used + size / 2 + 1 > cache->pool_size)
        cache_clear(cache);
    uint32_t mask = cache->capacity - 1;
    for (uint32_t i = slot_of(cache, addr);; i = (i + 1) & mask) {
        struct block *b = &cache->slots[i];
        if (b->size == 0) {
            cache->used++;
            return b;
        }
        if (b->addr == addr && b->size == size) return b;
    }
}

struct block *block_decode(struct hv_counter *c, uint32_t addr, uint32_t size)
{
    uint16_t code[MAX_BLOCK_BYTES / 2 + 2];
    if (size == 0 || size > MAX_BLOCK_BYTES || uc_mem_read(c->uc, addr, code, size) != 0) return NULL;
    struct block *b = insert(&c->cache, addr, size);
    b->addr = addr;
    b->size = (uint16_t)size;
    b->first = c->cache.pool_used;
    b->checksum = checksum(code, size);
    b->has_div = b->has_pc_value = 0;
    unsigned shadow = inherited_it(c->uc, addr);
    uint32_t n = 0;
    for (uint32_t off = 0; off < size;) {
        uint16_t hw1 = code[off / 2];
        int wide = is_wide(hw1) && off + 2 < size;
        uint16_t hw2 = wide ? code[off / 2 + 1] : 0;
        uint32_t flags = 0;
        if (shadow > 0) {
            flags |= INSN_IN_IT;
            shadow--;
        }
        if (reads_pc_value(hw1, hw2, wide)) {
            flags |= INSN_PC_VALUE;
            b->has_pc_value = 1;
        }
        if (wide && ((hw1 & 0xfff0) == 0xfb90 || (hw1 & 0xfff0) == 0xfbb0) && (hw2 & 0xf0f0) == 0xf0f0) {
            flags |= INSN_DIV | ((hw2 & 0xfu) << 4);
            b->has_div = 1;
        }
        if (!wide && it_length(hw1)) shadow = it_length(hw1);
        c->cache.pool[c->cache.pool_used + n] = off | (flags << 24);
        n++;
        off += wide ? 4 : 2;
    }
    b->n = (uint16_t)n;
    c->cache.pool_used += n;
    b->alive = 1;
    block_refresh_costs(c, b);
    return b;
}

uint32_t block_insn(const struct hv_counter *c, const struct block *b, uint32_t index)
{
    return c->cache.pool[b->first + index];
}

/* Index of the instruction at `pc` (the number of instructions before it). */
uint32_t block_index_of(const struct hv_counter *c, const struct block *b, uint32_t pc)
{
    uint32_t off = pc - b->addr, i = 0;
    while (i < b->n && INSN_OFFSET(block_insn(c, b, i)) < off) i++;
    return i;
}

/* Cycles of the first `count` instructions (without the refill). */
uint32_t block_prefix_cost(const struct hv_counter *c, const struct block *b, uint32_t count)
{
    uint32_t total = 0;
    for (uint32_t i = 0; i < count && i < b->n; i++) total += INSN_COST(block_insn(c, b, i));
    return total;
}
