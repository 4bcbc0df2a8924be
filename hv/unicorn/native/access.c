/*
 * Which instruction of a block made an MMIO access, when the block has no code hook yet (see
 * mmio.c): Unicorn keeps the guest registers (not the PC) exact at every load and store, so the
 * effective address of each load/store of the block can be computed from them; the first one at
 * or after `from` whose range holds the accessed address, with the same direction, made it
 * (`unique` when no other one matches; only then may the PC be set from it). Covers the Thumb-2 loads and stores (single, dual, exclusive, multiple, PUSH/POP, VFP); when
 * nothing matches, the first load/store at or after `from` is taken.
 */
#include "counter.h"

/* Unicorn register ids of R0-R14 (arm.h). */
static const int REGS[15] = {66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 12, 10};

struct access {
    uint32_t lo, hi; /* [lo, hi) */
    int store;
};

static uint32_t popcount16(uint32_t v)
{
    return (uint32_t)__builtin_popcount(v & 0xffff);
}

static int decode16(uint16_t hw, const uint32_t *r, struct access *a)
{
    unsigned rn = (hw >> 3) & 7, rm = (hw >> 6) & 7, imm5 = (hw >> 6) & 31;
    static const uint8_t reg_size[8] = {4, 2, 1, 1, 4, 2, 1, 2};
    if ((hw & 0xf000) == 0x5000) {
        unsigned op = (hw >> 9) & 7;
        a->lo = r[rn] + r[rm], a->hi = a->lo + reg_size[op], a->store = op < 3;
    } else if ((hw & 0xf000) == 0x6000) {
        a->lo = r[rn] + imm5 * 4, a->hi = a->lo + 4, a->store = !(hw & 0x800);
    } else if ((hw & 0xf000) == 0x7000) {
        a->lo = r[rn] + imm5, a->hi = a->lo + 1, a->store = !(hw & 0x800);
    } else if ((hw & 0xf000) == 0x8000) {
        a->lo = r[rn] + imm5 * 2, a->hi = a->lo + 2, a->store = !(hw & 0x800);
    } else if ((hw & 0xf000) == 0x9000) {
        a->lo = r[13] + (hw & 0xff) * 4, a->hi = a->lo + 4, a->store = !(hw & 0x800);
    } else if ((hw & 0xf600) == 0xb400) {
        uint32_t n = popcount16((hw & 0xff) | ((hw & 0x100) ? 1 : 0) << 8);
        a->store = !(hw & 0x800);
        a->lo = a->store ? r[13] - 4 * n : r[13], a->hi = a->lo + 4 * n;
    } else if ((hw & 0xf000) == 0xc000) {
        a->lo = r[(hw >> 8) & 7], a->hi = a->lo + 4 * popcount16(hw & 0xff), a->store = !(hw & 0x800);
    } else {
        return 0;
    }
    return 1;
}

static int decode_single(uint16_t hw1, uint16_t hw2, const uint32_t *r, struct access *a)
{
    unsigned rn = hw1 & 0xf, size = 1u << ((hw1 >> 5) & 3);
    if (rn == 15 || size > 4) return 0;
    uint32_t base = r[rn], addr;
    if (hw1 & 0x80) {
        addr = base + (hw2 & 0xfff);
    } else if (hw2 & 0x800) {
        uint32_t imm = hw2 & 0xff, offset = (hw2 & 0x200) ? base + imm : base - imm;
        addr = (hw2 & 0x400) ? offset : base;
    } else {
        addr = base + (r[hw2 & 0xf] << ((hw2 >> 4) & 3));
    }
    a->lo = addr, a->hi = addr + size, a->store = !(hw1 & 0x10);
    return 1;
}

static int decode32(uint16_t hw1, uint16_t hw2, const uint32_t *r, struct access *a)
{
    unsigned rn = hw1 & 0xf;
    if (rn == 15) return 0; /* literal: code memory */
    uint32_t base = r[rn];
    if ((hw1 & 0xfe00) == 0xf800) return decode_single(hw1, hw2, r, a);
    if ((hw1 & 0xffe0) == 0xe840) { /* LDREX/STREX */
        a->lo = base + (hw2 & 0xff) * 4, a->hi = a->lo + 4, a->store = !(hw1 & 0x10);
    } else if ((hw1 & 0xfe40) == 0xe840) { /* LDRD/STRD */
        uint32_t imm = (hw2 & 0xff) * 4, offset = (hw1 & 0x80) ? base + imm : base - imm;
        a->lo = (hw1 & 0x100) ? offset : base, a->hi = a->lo + 8, a->store = !(hw1 & 0x10);
    } else if ((hw1 & 0xffc0) == 0xe880 || (hw1 & 0xffc0) == 0xe900) { /* LDM/STM IA, DB */
        uint32_t n = popcount16(hw2);
        a->lo = (hw1 & 0xffc0) == 0xe880 ? base : base - 4 * n, a->hi = a->lo + 4 * n, a->store = !(hw1 & 0x10);
    } else if ((hw1 & 0xff20) == 0xed00) { /* VLDR/VSTR */
        uint32_t imm = (hw2 & 0xff) * 4;
        a->lo = (hw1 & 0x80) ? base + imm : base - imm, a->hi = a->lo + ((hw2 & 0x100) ? 8 : 4), a->store = !(hw1 & 0x10);
    } else if ((hw1 & 0xfe00) == 0xec00 && (hw1 & 0x01a0) != 0) { /* VLDM/VSTM/VPUSH/VPOP */
        uint32_t span = (hw2 & 0xff) * 4;
        a->lo = base - span, a->hi = base + span, a->store = !(hw1 & 0x10);
    } else {
        return 0;
    }
    return 1;
}

uint32_t guess_access_index(struct hv_counter *c, const struct block *b, uint32_t from, uint32_t address, int write, int *unique)
{
    uint16_t code[2048 + 2];
    uint32_t r[15] = {0};
    void *ptrs[15];
    for (int i = 0; i < 15; i++) ptrs[i] = &r[i];
    *unique = 0;
    if (b->size > 4096 || uc_mem_read(c->uc, b->addr, code, b->size) != 0) return NO_INDEX;
    uc_reg_read_batch(c->uc, (int *)REGS, ptrs, 15);
    uint32_t first = NO_INDEX, match = NO_INDEX, matches = 0;
    for (uint32_t i = from; i < b->n; i++) {
        uint32_t off = INSN_OFFSET(block_insn(c, b, i));
        uint16_t hw1 = code[off / 2], hw2 = off + 2 < b->size ? code[off / 2 + 1] : 0;
        struct access a;
        int wide = (hw1 >> 11) >= 0x1d;
        if (!(wide ? decode32(hw1, hw2, r, &a) : decode16(hw1, r, &a))) continue;
        if (first == NO_INDEX) first = i;
        if (a.store == write && address - a.lo < a.hi - a.lo && matches++ == 0) match = i;
    }
    *unique = matches == 1;
    return match != NO_INDEX ? match : first;
}
