/* FP context across exceptions (hard-float image): the values thread code
 * keeps in s0-s31 and FPSCR must survive handlers that use the FPU, with
 * both lazy and immediate stacking, on MSP and PSP, and when nested. */
#include "board.h"
#include "uart.h"
#include "libc.h"

#define IRQ_LOW 26
#define IRQ_HIGH 27

struct fp_entry { uint32_t fpccr, fpcar, control, s0; };
struct fp_entry fp_entry; /* written by stub.S */
void fp_clobber(const uint32_t pattern[32]);

typedef uint32_t (*hook_fn)(uint32_t exc_return, uint32_t *frame);
static hook_fn volatile hooks[48];

static char failure[120];
static int failures;

static void fail(const char *fmt, ...)
{
    if (failure[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_(failure, sizeof failure, fmt, ap);
    va_end(ap);
}
#define EXPECT(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

uint32_t exc_dispatch(uint32_t exc_return, uint32_t *frame)
{
    uint32_t n = __get_IPSR() & 0x1FF;
    hook_fn h = n < 48 ? hooks[n] : 0;
    if (h)
        return h(exc_return, frame);
    fail("unexpected exception %u", n);
    if (n >= 16)
        nvic_disable_irq(n - 16);
    return exc_return;
}

static void make_pattern(uint32_t *p, unsigned n, uint32_t seed)
{
    /* Distinct, non-trivial bit patterns (raw transfers, so NaNs are fine). */
    for (unsigned i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        p[i] = seed ^ (i << 24);
    }
}

static void expect_same(const char *what, const uint32_t *got, const uint32_t *want, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (got[i] != want[i]) {
            fail("%s s%u = 0x%08x, expected 0x%08x", what, i, got[i], want[i]);
            return;
        }
}

/* What the SVC handler saw. */
static struct {
    uint32_t er, svc, fpccr, fpcar, control, s0, frame;
    uint32_t fpscr, fpccr_after, control_after, frame_s[16], frame_fpscr;
} seen;
static uint32_t garbage[32];

static uint32_t fp_svc_hook(uint32_t er, uint32_t *frame)
{
    seen.er = er;
    seen.svc = ((const uint8_t *)frame[6])[-2];
    seen.fpccr = fp_entry.fpccr;
    seen.fpcar = fp_entry.fpcar;
    seen.control = fp_entry.control;
    seen.s0 = fp_entry.s0;
    seen.frame = (uint32_t)frame;
    if (seen.svc == 2)
        return er; /* thread has no FP context: leave the FPU alone */
    seen.fpscr = __get_FPSCR(); /* first FP instruction: lazy save happens */
    seen.fpccr_after = FPU_FPCCR;
    seen.control_after = __get_CONTROL();
    for (unsigned i = 0; i < 16; i++)
        seen.frame_s[i] = frame[8 + i];
    seen.frame_fpscr = frame[24];
    fp_clobber(garbage);
    return er;
}

#define FP_CLOBBERS \
    "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", \
    "s12", "s13", "s14", "s15", "s16", "s17", "s18", "s19", "s20", "s21", \
    "s22", "s23", "s24", "s25", "s26", "s27", "s28", "s29", "s30", "s31"

struct roundtrip {
    uint32_t in[32], out[32], fpscr_in, fpscr_out, sp;
};

/* Loads every FP register, takes svc 1 (optionally on PSP), stores them
 * again. All in one asm block so the compiler cannot touch the FP file or
 * the stack in between. */
static void roundtrip(struct roundtrip *t, int on_psp)
{
    uint32_t sp, fo;
    __asm volatile(
        "cbz    %[psp], 1f\n\t"
        "mrs    r3, control\n\t"
        "orr    r3, r3, #2\n\t"
        "msr    control, r3\n\t"
        "isb\n"
        "1:\n\t"
        "vldm   %[in], {s0-s31}\n\t"
        "vmsr   fpscr, %[fi]\n\t"
        "mov    %[sp], sp\n\t"
        "svc    1\n\t"
        "vstm   %[out], {s0-s31}\n\t"
        "vmrs   %[fo], fpscr\n\t"
        "mrs    r3, control\n\t"
        "bic    r3, r3, #2\n\t"
        "msr    control, r3\n\t"
        "isb"
        : [sp] "=&r"(sp), [fo] "=&r"(fo)
        : [in] "r"(t->in), [out] "r"(t->out), [fi] "r"(t->fpscr_in), [psp] "l"(on_psp)
        : "r3", "memory", FP_CLOBBERS);
    t->sp = sp;
    t->fpscr_out = fo;
}

static struct roundtrip rt;
static uint64_t psp_stack[64];

static void check_roundtrip(uint32_t seed, int on_psp, int lazy)
{
    make_pattern(rt.in, 32, seed);
    make_pattern(garbage, 32, ~seed);
    rt.fpscr_in = 0x03C0001Fu; /* DN | FZ | RMode=RZ | all sticky flags */
    if (!lazy)
        FPU_FPCCR &= ~FPCCR_LSPEN;
    if (on_psp)
        __set_PSP((uint32_t)&psp_stack[64]);
    hooks[EXC_SVCALL] = fp_svc_hook;
    roundtrip(&rt, on_psp);

    uint32_t want_er = on_psp ? EXC_RETURN_THREAD_PSP_FP : EXC_RETURN_THREAD_MSP_FP;
    EXPECT(seen.er == want_er, "LR 0x%08x in handler, expected 0x%08x", seen.er, want_er);
    /* 0x68-byte extended frame, realigned to 8 bytes (CCR.STKALIGN). */
    EXPECT(seen.frame == ((rt.sp - 0x68) & ~7u), "frame at 0x%08x, SP was 0x%08x",
           seen.frame, rt.sp);
    EXPECT(!(seen.control & CONTROL_FPCA), "CONTROL.FPCA set on handler entry");
    EXPECT(seen.control_after & CONTROL_FPCA, "CONTROL.FPCA clear after handler FP use");
    if (lazy) {
        EXPECT(seen.fpccr & FPCCR_LSPACT, "FPCCR 0x%08x on entry: LSPACT clear", seen.fpccr);
        EXPECT(seen.fpcar == seen.frame + 0x20, "FPCAR 0x%08x, frame 0x%08x", seen.fpcar,
               seen.frame);
    } else {
        EXPECT(!(seen.fpccr & FPCCR_LSPACT), "FPCCR 0x%08x on entry: LSPACT set", seen.fpccr);
        EXPECT(seen.s0 == rt.in[0], "s0 not stacked on entry (0x%08x)", seen.s0);
    }
    EXPECT(!(seen.fpccr_after & FPCCR_LSPACT), "LSPACT still set after handler FP use");
    EXPECT(seen.fpscr == FPU_FPDSCR, "handler FPSCR 0x%08x, FPDSCR 0x%08x", seen.fpscr,
           FPU_FPDSCR);
    expect_same("stacked", seen.frame_s, rt.in, 16);
    EXPECT(seen.frame_fpscr == rt.fpscr_in, "stacked FPSCR 0x%08x", seen.frame_fpscr);
    expect_same("thread", rt.out, rt.in, 32);
    EXPECT(rt.fpscr_out == rt.fpscr_in, "thread FPSCR 0x%08x after return", rt.fpscr_out);
}

static void check_lazy_msp(void) { check_roundtrip(1, 0, 1); }
static void check_lazy_psp(void) { check_roundtrip(2, 1, 1); }
static void check_immediate_msp(void) { check_roundtrip(3, 0, 0); }
static void check_immediate_psp(void) { check_roundtrip(4, 1, 0); }

static volatile float fa = 1.5f, fb = 2.25f;

static void check_enabled(void)
{
    EXPECT((SCB_CPACR & CPACR_CP10_CP11_FULL) == CPACR_CP10_CP11_FULL, "CPACR 0x%08x", SCB_CPACR);
    EXPECT((FPU_FPCCR & (FPCCR_ASPEN | FPCCR_LSPEN)) == (FPCCR_ASPEN | FPCCR_LSPEN),
           "FPCCR 0x%08x, expected ASPEN|LSPEN", FPU_FPCCR);
    float p = fa * fb;
    EXPECT(p == 3.375f, "1.5 * 2.25 != 3.375");
    EXPECT(__get_CONTROL() & CONTROL_FPCA, "CONTROL.FPCA clear after an FP instruction");
}

static void check_no_fp_context(void)
{
    hooks[EXC_SVCALL] = fp_svc_hook;
    /* CONTROL.FPCA=0 tells the core the thread has no FP state to save. */
    __asm volatile(
        "mrs  r3, control\n\t"
        "bic  r3, r3, #4\n\t"
        "msr  control, r3\n\t"
        "isb\n\t"
        "svc  2" ::: "r3", "memory");
    EXPECT(seen.er == EXC_RETURN_THREAD_MSP, "LR 0x%08x, expected 0xfffffff9", seen.er);
    EXPECT(!(seen.fpccr & FPCCR_LSPACT), "LSPACT set with no FP context");
}

static uint32_t low_in[16], low_out[16], er_low, er_high, high_fpccr;

static uint32_t high_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    er_high = er;
    high_fpccr = fp_entry.fpccr;
    fp_clobber(garbage);
    return er;
}

/* Uses s0-s15 itself and gets preempted in the middle by the high IRQ. */
static uint32_t low_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    er_low = er;
    __asm volatile(
        "vldm  %[in], {s0-s15}\n\t"
        "str   %[irq], [%[stir]]\n\t"
        "dsb\n\t"
        "isb\n\t"
        "vstm  %[out], {s0-s15}"
        :: [in] "r"(low_in), [out] "r"(low_out), [irq] "r"(IRQ_HIGH), [stir] "r"(&NVIC_STIR)
        : "memory", "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10",
          "s11", "s12", "s13", "s14", "s15");
    return er;
}

/* Pends the low IRQ from inside the SVC: it tail-chains on the thread's
 * extended frame, so the thread's FP values are live throughout. */
static uint32_t nested_svc_hook(uint32_t er, uint32_t *frame)
{
    NVIC_STIR = IRQ_LOW;
    return fp_svc_hook(er, frame);
}

static void check_nested(void)
{
    make_pattern(low_in, 16, 77);
    make_pattern(garbage, 32, 78);
    make_pattern(rt.in, 32, 79);
    rt.fpscr_in = 0x00400000u;
    NVIC_IPR8(IRQ_LOW) = 0x80;
    NVIC_IPR8(IRQ_HIGH) = 0x40;
    NVIC_ISER(0) = (1u << IRQ_LOW) | (1u << IRQ_HIGH);
    hooks[EXC_IRQ(IRQ_LOW)] = low_hook;
    hooks[EXC_IRQ(IRQ_HIGH)] = high_hook;
    hooks[EXC_SVCALL] = nested_svc_hook;
    roundtrip(&rt, 0);

    EXPECT(er_low == EXC_RETURN_THREAD_MSP_FP, "low IRQ LR 0x%08x", er_low);
    EXPECT(er_high == EXC_RETURN_HANDLER_FP, "nested IRQ LR 0x%08x, expected 0xffffffe1", er_high);
    EXPECT(high_fpccr & FPCCR_LSPACT, "LSPACT clear on nested entry");
    expect_same("low handler", low_out, low_in, 16);
    expect_same("thread", rt.out, rt.in, 32);
    EXPECT(rt.fpscr_out == rt.fpscr_in, "thread FPSCR 0x%08x after return", rt.fpscr_out);
}

static void reset_state(void)
{
    __disable_irq();
    NVIC_ICER(0) = 0xFFFFFFFFu;
    NVIC_ICPR(0) = 0xFFFFFFFFu;
    for (unsigned i = 0; i < 48; i++)
        hooks[i] = 0;
    FPU_FPCCR = FPCCR_ASPEN | FPCCR_LSPEN;
    FPU_FPDSCR = 0;
    __set_FPSCR(0);
    memset(&seen, 0, sizeof seen);
    __DSB();
    __ISB();
    __enable_irq();
}

static void run(const char *name, void (*check)(void))
{
    failure[0] = '\0';
    reset_state();
    check();
    reset_state();
    if (failure[0]) {
        uart_printf("FAIL %s: %s\n", name, failure);
        failures++;
    } else {
        uart_printf("PASS %s\n", name);
    }
}

int main(void)
{
    uart_init();
    uart_printf("fpu: start\n");
    run("fpu-enabled", check_enabled);
    run("lazy-msp", check_lazy_msp);
    run("lazy-psp", check_lazy_psp);
    run("immediate-msp", check_immediate_msp);
    run("immediate-psp", check_immediate_psp);
    run("no-fp-context", check_no_fp_context);
    run("nested", check_nested);
    uart_printf("fpu: done\n");
    return failures ? 1 : 0;
}
