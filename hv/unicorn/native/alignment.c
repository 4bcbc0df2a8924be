/*
 * Alignment of device (MMIO) accesses, checked in the trap path before the device sees anything.
 * ARMv7-M requires word alignment of LDM, STM, LDRD, STRD, LDREX, STREX and the VFP loads and
 * stores whatever the memory (A3.2.1: the UsageFault UNALIGNED), and an unaligned access to
 * Device memory is UNPREDICTABLE: hvlab gives it the same UsageFault. Unicorn does neither: it
 * splits an unaligned MMIO access into aligned device accesses (each with its side effects) and
 * never checks the multiple and dual forms (an unaligned store even reaches the device as single
 * bytes), so the trampolines (mmio.c) ask here first.
 *
 * The accessing instruction is the one the counter identified (its PC); its effective address
 * comes from the current registers (Unicorn keeps them exact at every load and store). An
 * instruction found by a guess (mmio.c) is only taken as the culprit when the access lies in
 * the words its own access covers.
 */
#include "counter.h"

/* Unicorn register ids of R0-R12, SP (arm.h). */
static const int REG_ID[14] = {66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 12};

struct form {
    uint32_t address; /* effective address */
    uint32_t bytes;   /* bytes accessed from it */
    uint32_t align;   /* the alignment the access needs */
};

static uint32_t reg(struct hv_counter *c, unsigned n)
{
    uint32_t value = 0;
    if (n < 14) uc_reg_read(c->uc, REG_ID[n], &value);
    return value;
}

static uint32_t count16(uint32_t v)
{
    return (uint32_t)__builtin_popcount(v & 0xffff);
}

/* 16-bit loads and stores; 0 for anything that cannot be unaligned (bytes, PUSH/POP on SP). */
static int form16(struct hv_counter *c, uint16_t hw, struct form *f)
{
    static const uint8_t reg_size[8] = {4, 2, 1, 1, 4, 2, 1, 2};
    unsigned rn = (hw >> 3) & 7, imm5 = (hw >> 6) & 31;
    if ((hw & 0xf000) == 0x5000) {
        f->bytes = f->align = reg_size[(hw >> 9) & 7];
        f->address = reg(c, rn) + reg(c, (hw >> 6) & 7);
    } else if ((hw & 0xf000) == 0x6000) {
        f->bytes = f->align = 4, f->address = reg(c, rn) + imm5 * 4;
    } else if ((hw & 0xf000) == 0x8000) {
        f->bytes = f->align = 2, f->address = reg(c, rn) + imm5 * 2;
    } else if ((hw & 0xf000) == 0xc000) {
        f->bytes = 4 * count16(hw & 0xff), f->align = 4, f->address = reg(c, (hw >> 8) & 7);
    } else {
        return 0;
    }
    return 1;
}

/* LDR/STR{,B,H,SB,SH} (T2-T4 encodings) with an immediate or register offset. */
static int form_single(struct hv_counter *c, uint16_t hw1, uint16_t hw2, struct form *f)
{
    uint32_t size = 1u << ((hw1 >> 5) & 3), base = reg(c, hw1 & 0xf);
    if (size > 4) return 0;
    if (hw1 & 0x80) {
        f->address = base + (hw2 & 0xfff);
    } else if (hw2 & 0x800) {
        uint32_t imm = hw2 & 0xff, offset = (hw2 & 0x200) ? base + imm : base - imm;
        f->address = (hw2 & 0x400) ? offset : base;
    } else {
        f->address = base + (reg(c, hw2 & 0xf) << ((hw2 >> 4) & 3));
    }
    f->bytes = f->align = size;
    return 1;
}

/* 32-bit loads and stores (the PC-relative literal forms read code memory, never a device). */
static int form32(struct hv_counter *c, uint16_t hw1, uint16_t hw2, struct form *f)
{
    unsigned rn = hw1 & 0xf;
    if (rn == 15) return 0;
    uint32_t base = reg(c, rn);
    f->align = 4;
    if ((hw1 & 0xfe00) == 0xf800) return form_single(c, hw1, hw2, f);
    if ((hw1 & 0xffe0) == 0xe840) { /* LDREX/STREX */
        f->address = base + (hw2 & 0xff) * 4, f->bytes = 4;
    } else if ((hw1 & 0xfe40) == 0xe840) { /* LDRD/STRD */
        uint32_t imm = (hw2 & 0xff) * 4, offset = (hw1 & 0x80) ? base + imm : base - imm;
        f->address = (hw1 & 0x100) ? offset : base, f->bytes = 8;
    } else if ((hw1 & 0xffc0) == 0xe880 || (hw1 & 0xffc0) == 0xe900) { /* LDM/STM IA, DB */
        f->bytes = 4 * count16(hw2);
        f->address = (hw1 & 0xffc0) == 0xe880 ? base : base - f->bytes;
    } else if ((hw1 & 0xff20) == 0xed00) { /* VLDR/VSTR */
        uint32_t imm = (hw2 & 0xff) * 4;
        f->address = (hw1 & 0x80) ? base + imm : base - imm, f->bytes = (hw2 & 0x100) ? 8 : 4;
    } else if ((hw1 & 0xfe00) == 0xec00 && (hw1 & 0x01a0) != 0) { /* VLDM/VSTM/VPUSH/VPOP */
        f->bytes = (hw2 & 0xff) * 4;
        f->address = (hw1 & 0x100) ? base - f->bytes : base;
    } else {
        return 0;
    }
    return 1;
}

/*
 * The two halfwords at `pc`, the accessing instruction of the block in progress: read once per
 * PC and block (a device polled in a loop traps at the same instruction again and again).
 */
static int code_at(struct hv_counter *c, uint32_t pc, uint16_t code[2])
{
    const struct block *b = c->mode == MODE_MAIN ? c->cur : c->finish.b;
    if (b == NULL) return uc_mem_read(c->uc, pc, code, 2 * sizeof *code) == 0;
    struct align_code *e = &c->align_code[(pc >> 1) & 15];
    if (e->pc != pc || e->sum != b->checksum) {
        if (uc_mem_read(c->uc, pc, e->code, sizeof e->code) != 0) return 0;
        e->pc = pc;
        e->sum = b->checksum;
    }
    code[0] = e->code[0];
    code[1] = e->code[1];
    return 1;
}

/*
 * 1 when the instruction at `pc` makes this MMIO access at `address` (a piece of its own access,
 * of any size: Unicorn splits an unaligned store into bytes) without the alignment it needs: the
 * access must then fault instead of reaching the device.
 */
int device_access_unaligned(struct hv_counter *c, uint32_t pc, uint32_t address)
{
    uint16_t code[2];
    struct form f;
    if (pc == 0 || !code_at(c, pc, code)) return 0;
    int wide = (code[0] >> 11) >= 0x1d;
    if (!(wide ? form32(c, code[0], code[1], &f) : form16(c, code[0], &f))) return 0;
    if ((f.address & (f.align - 1)) == 0) return 0;
    /* The words the instruction's own access covers (how Unicorn splits it): else not its access. */
    uint32_t lo = f.address & ~3u, hi = (f.address + f.bytes + 3) & ~3u;
    return address - lo < hi - lo;
}
