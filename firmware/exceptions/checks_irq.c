/* Checks of priorities, masking, nesting and NVIC/SCB state. */
#include "test.h"

static uint32_t svc_call(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    register uint32_t r0 __asm("r0") = a;
    register uint32_t r1 __asm("r1") = b;
    register uint32_t r2 __asm("r2") = c;
    register uint32_t r3 __asm("r3") = d;
    __asm volatile("svc 1" : "+r"(r0) : "r"(r1), "r"(r2), "r"(r3) : "memory");
    return r0;
}

static uint32_t svc_args_hook(uint32_t er, uint32_t *frame)
{
    if (svc_number(frame) == 1)
        frame[0] = frame[0] + 2 * frame[1] + 3 * frame[2] + 4 * frame[3];
    return er;
}

void check_svc_args(void)
{
    hooks[EXC_SVCALL] = svc_args_hook;
    uint32_t r = svc_call(10, 20, 30, 40);
    EXPECT(r == 300, "svc(10,20,30,40) returned %u, expected 300", r);
    r = svc_call(1, 2, 3, 4);
    EXPECT(r == 30, "svc(1,2,3,4) returned %u, expected 30", r);
    EXPECT_LOG(EXC_SVCALL, EXC_SVCALL);
}

void check_priority_order(void)
{
    /* Priorities chosen so the expected order matches neither ascending nor
     * descending exception number. Multiples of 0x20 survive 3-bit NVICs. */
    NVIC_IPR8(IRQ_B) = 0x20;
    SCB_SHPR8(EXC_SYSTICK) = 0x60;
    SCB_SHPR8(EXC_PENDSV) = 0xA0;
    NVIC_IPR8(IRQ_A) = 0xE0;

    __disable_irq();
    nvic_enable_irq(IRQ_A);
    nvic_enable_irq(IRQ_B);
    NVIC_ISPR(0) = (1u << IRQ_A) | (1u << IRQ_B);
    SCB_ICSR = ICSR_PENDSVSET | ICSR_PENDSTSET;
    sync();
    EXPECT_LOG_EMPTY();
    __enable_irq();
    __ISB();
    EXPECT_LOG(EXC_IRQ(IRQ_B), EXC_SYSTICK, EXC_PENDSV, EXC_IRQ(IRQ_A));
}

static volatile uint32_t pend_during_low;

static uint32_t preempt_low_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    trigger(IRQ_C); /* same priority: must wait */
    trigger(IRQ_D); /* lower priority: must wait */
    pend_during_low = NVIC_ISPR(0) & ((1u << IRQ_C) | (1u << IRQ_D));
    trigger(IRQ_B); /* higher priority: must run right here */
    log_event(MARK_EXIT | EXC_IRQ(IRQ_A));
    return er;
}

void check_preemption(void)
{
    NVIC_IPR8(IRQ_A) = 0x80;
    NVIC_IPR8(IRQ_B) = 0x40;
    NVIC_IPR8(IRQ_C) = 0x80;
    NVIC_IPR8(IRQ_D) = 0xC0;
    NVIC_ISER(0) = (1u << IRQ_A) | (1u << IRQ_B) | (1u << IRQ_C) | (1u << IRQ_D);
    hooks[EXC_IRQ(IRQ_A)] = preempt_low_hook;
    pend_during_low = 0;

    trigger(IRQ_A);
    EXPECT(pend_during_low == ((1u << IRQ_C) | (1u << IRQ_D)),
           "equal/lower IRQs not pending inside the low handler (ISPR bits 0x%08x)",
           pend_during_low);
    EXPECT_LOG(EXC_IRQ(IRQ_A), EXC_IRQ(IRQ_B), MARK_EXIT | EXC_IRQ(IRQ_A),
               EXC_IRQ(IRQ_C), EXC_IRQ(IRQ_D));
}

void check_basepri(void)
{
    NVIC_IPR8(IRQ_A) = 0x80; /* equal to BASEPRI: masked */
    NVIC_IPR8(IRQ_B) = 0x40; /* higher: not masked */
    NVIC_IPR8(IRQ_C) = 0xC0; /* lower: masked */
    NVIC_ISER(0) = (1u << IRQ_A) | (1u << IRQ_B) | (1u << IRQ_C);

    __set_BASEPRI(0x80);
    EXPECT(__get_BASEPRI() == 0x80, "BASEPRI reads 0x%x", __get_BASEPRI());
    /* BASEPRI_MAX only ever raises the masking level. */
    __set_BASEPRI_MAX(0xC0);
    EXPECT(__get_BASEPRI() == 0x80, "BASEPRI_MAX lowered masking to 0x%x", __get_BASEPRI());
    trigger(IRQ_A);
    trigger(IRQ_C);
    EXPECT_LOG_EMPTY();
    trigger(IRQ_B);
    EXPECT_LOG(EXC_IRQ(IRQ_B));
    __set_BASEPRI(0);
    __ISB();
    EXPECT_LOG(EXC_IRQ(IRQ_B), EXC_IRQ(IRQ_A), EXC_IRQ(IRQ_C));
}

void check_faultmask(void)
{
    NVIC_IPR8(IRQ_A) = 0x00;
    nvic_enable_irq(IRQ_A);

    __disable_fault_irq();
    EXPECT(__get_FAULTMASK() == 1, "FAULTMASK reads %u", __get_FAULTMASK());
    trigger(IRQ_A);
    SCB_ICSR = ICSR_PENDSVSET;
    sync();
    EXPECT_LOG_EMPTY();
    SCB_ICSR = ICSR_NMIPENDSET;
    sync();
    EXPECT_LOG(EXC_NMI);
    /* Returning from NMI is the one exception return that keeps FAULTMASK. */
    EXPECT(__get_FAULTMASK() == 1, "FAULTMASK cleared by NMI return");
    __enable_fault_irq();
    __ISB();
    /* Equal priority: the lower exception number goes first. */
    EXPECT_LOG(EXC_NMI, EXC_PENDSV, EXC_IRQ(IRQ_A));
}

void check_primask(void)
{
    NVIC_IPR8(IRQ_A) = 0x00;
    nvic_enable_irq(IRQ_A);

    __disable_irq();
    EXPECT(__get_PRIMASK() == 1, "PRIMASK reads %u", __get_PRIMASK());
    trigger(IRQ_A);
    SCB_ICSR = ICSR_PENDSVSET | ICSR_PENDSTSET;
    sync();
    EXPECT_LOG_EMPTY();
    SCB_ICSR = ICSR_NMIPENDSET;
    sync();
    EXPECT_LOG(EXC_NMI);
    EXPECT(__get_PRIMASK() == 1, "PRIMASK cleared by NMI");
    __enable_irq();
    __ISB();
    EXPECT_LOG(EXC_NMI, EXC_PENDSV, EXC_SYSTICK, EXC_IRQ(IRQ_A));
}

static volatile uint32_t seen_er[2], ipsr_after_nested;

static uint32_t er_svc_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    seen_er[0] = er;
    return EXC_RETURN_THREAD_MSP; /* explicit, not just the value in LR */
}

static uint32_t er_high_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    seen_er[1] = er;
    return EXC_RETURN_HANDLER;
}

static uint32_t er_low_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    seen_er[0] = er;
    trigger(IRQ_B);
    ipsr_after_nested = __get_IPSR();
    log_event(MARK_EXIT | EXC_IRQ(IRQ_A));
    return er;
}

void check_exc_return(void)
{
    uint32_t sp_before, sp_after;

    hooks[EXC_SVCALL] = er_svc_hook;
    __asm volatile("mov %0, sp\n\tsvc 4\n\tmov %1, sp"
                   : "=&r"(sp_before), "=r"(sp_after) :: "memory");
    EXPECT(seen_er[0] == EXC_RETURN_THREAD_MSP, "SVC from thread/MSP got LR 0x%08x", seen_er[0]);
    EXPECT(sp_before == sp_after, "MSP 0x%08x after return, 0x%08x before", sp_after, sp_before);

    NVIC_IPR8(IRQ_A) = 0x80;
    NVIC_IPR8(IRQ_B) = 0x40;
    NVIC_ISER(0) = (1u << IRQ_A) | (1u << IRQ_B);
    hooks[EXC_IRQ(IRQ_A)] = er_low_hook;
    hooks[EXC_IRQ(IRQ_B)] = er_high_hook;
    seen_er[0] = seen_er[1] = 0;
    trigger(IRQ_A);
    EXPECT(seen_er[0] == EXC_RETURN_THREAD_MSP, "IRQ from thread got LR 0x%08x", seen_er[0]);
    EXPECT(seen_er[1] == EXC_RETURN_HANDLER, "nested IRQ got LR 0x%08x", seen_er[1]);
    EXPECT(ipsr_after_nested == EXC_IRQ(IRQ_A),
           "IPSR 0x%x after returning with 0xFFFFFFF1", ipsr_after_nested);
    EXPECT_LOG(EXC_SVCALL, EXC_IRQ(IRQ_A), EXC_IRQ(IRQ_B), MARK_EXIT | EXC_IRQ(IRQ_A));
}

static volatile uint32_t icsr_seen[2];

static uint32_t icsr_high_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    icsr_seen[1] = SCB_ICSR;
    return er;
}

static uint32_t icsr_low_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    icsr_seen[0] = SCB_ICSR;
    trigger(IRQ_B);
    return er;
}

void check_icsr(void)
{
    NVIC_IPR8(IRQ_A) = 0x80;
    NVIC_IPR8(IRQ_B) = 0x40;
    NVIC_IPR8(IRQ_C) = 0x80;
    NVIC_ISER(0) = (1u << IRQ_A) | (1u << IRQ_B) | (1u << IRQ_C);
    hooks[EXC_IRQ(IRQ_A)] = icsr_low_hook;
    hooks[EXC_IRQ(IRQ_B)] = icsr_high_hook;

    trigger(IRQ_A);
    uint32_t lo = icsr_seen[0], hi = icsr_seen[1];
    EXPECT((lo & ICSR_VECTACTIVE_MASK) == EXC_IRQ(IRQ_A), "VECTACTIVE %u in IRQ %u handler",
           lo & ICSR_VECTACTIVE_MASK, IRQ_A);
    EXPECT(lo & ICSR_RETTOBASE, "RETTOBASE clear with a single active exception");
    EXPECT((hi & ICSR_VECTACTIVE_MASK) == EXC_IRQ(IRQ_B), "VECTACTIVE %u in nested handler",
           hi & ICSR_VECTACTIVE_MASK);
    EXPECT(!(hi & ICSR_RETTOBASE), "RETTOBASE set while another exception is active");

    __disable_irq();
    trigger(IRQ_C);
    uint32_t icsr = SCB_ICSR;
    EXPECT(((icsr & ICSR_VECTPENDING_MASK) >> ICSR_VECTPENDING_SHIFT) == EXC_IRQ(IRQ_C),
           "VECTPENDING %u with IRQ %u pending", (icsr & ICSR_VECTPENDING_MASK) >> 12, IRQ_C);
    EXPECT(icsr & ICSR_ISRPENDING, "ISRPENDING clear with an IRQ pending");
    SCB_ICSR = ICSR_PENDSVSET;
    icsr = SCB_ICSR;
    EXPECT(icsr & ICSR_PENDSVSET, "PENDSVSET does not read back");
    /* PendSV has priority 0 now, above IRQ_C. */
    EXPECT(((icsr & ICSR_VECTPENDING_MASK) >> ICSR_VECTPENDING_SHIFT) == EXC_PENDSV,
           "VECTPENDING %u with PendSV pending", (icsr & ICSR_VECTPENDING_MASK) >> 12);
    SCB_ICSR = ICSR_PENDSVCLR;
    nvic_clear_pending(IRQ_C);
    icsr = SCB_ICSR;
    EXPECT((icsr & (ICSR_VECTPENDING_MASK | ICSR_ISRPENDING | ICSR_PENDSVSET)) == 0,
           "ICSR 0x%08x after clearing everything", icsr);
    __enable_irq();
    __ISB();
    EXPECT_LOG(EXC_IRQ(IRQ_A), EXC_IRQ(IRQ_B));
}

static volatile uint32_t iabr_seen;

static uint32_t iabr_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    iabr_seen = NVIC_IABR(0);
    return er;
}

void check_nvic_regs(void)
{
    const uint32_t bit = 1u << IRQ_E;

    NVIC_ISER(0) = bit;
    EXPECT((NVIC_ISER(0) & bit) && (NVIC_ICER(0) & bit), "enable bit not visible in ISER/ICER");
    NVIC_ICER(0) = bit;
    EXPECT(!(NVIC_ISER(0) & bit) && !(NVIC_ICER(0) & bit), "ICER write did not disable");

    NVIC_ISPR(0) = bit; /* disabled, so it stays pending */
    EXPECT((NVIC_ISPR(0) & bit) && (NVIC_ICPR(0) & bit), "pending bit not visible in ISPR/ICPR");
    NVIC_ICPR(0) = bit;
    EXPECT(!(NVIC_ISPR(0) & bit), "ICPR write did not clear pending");
    EXPECT_LOG_EMPTY();

    hooks[EXC_IRQ(IRQ_E)] = iabr_hook;
    NVIC_ISER(0) = bit;
    trigger(IRQ_E);
    EXPECT(iabr_seen == bit, "IABR 0x%08x inside the handler", iabr_seen);
    EXPECT(NVIC_IABR(0) == 0, "IABR 0x%08x after return", NVIC_IABR(0));
    EXPECT_LOG(EXC_IRQ(IRQ_E));

    /* IPR is byte-addressable: IRQ n is byte n. Top-bit values only, so a
     * 3-bit implementation reads the same. */
    NVIC_IPR8(IRQ_E) = 0xA0;
    uint32_t w = NVIC_IPR32(IRQ_E / 4);
    EXPECT(w == 0xA0u << (8 * (IRQ_E % 4)), "IPR word 0x%08x after byte write", w);
    NVIC_IPR32(IRQ_E / 4) = 0x20406080;
    EXPECT(NVIC_IPR8(28) == 0x80 && NVIC_IPR8(29) == 0x60 && NVIC_IPR8(30) == 0x40 &&
           NVIC_IPR8(31) == 0x20, "IPR bytes %x %x %x %x after word write",
           NVIC_IPR8(28), NVIC_IPR8(29), NVIC_IPR8(30), NVIC_IPR8(31));
}

typedef void (*vector_t)(void);
extern const vector_t __vectors[];
/* 48 vectors need 256-byte alignment; 512 also covers parts with more IRQs. */
static vector_t ram_vectors[NUM_VECTORS] __attribute__((aligned(512)));
static volatile uint32_t alt_svc_hits;

/* An ordinary AAPCS function is a valid M-profile handler: LR holds the
 * EXC_RETURN and "bx lr" returns from the exception. */
static void alt_svc_handler(void)
{
    alt_svc_hits++;
}

void check_vtor(void)
{
    memcpy(ram_vectors, __vectors, sizeof ram_vectors);
    ram_vectors[EXC_SVCALL] = alt_svc_handler;
    alt_svc_hits = 0;

    SCB_VTOR = (uint32_t)ram_vectors;
    sync();
    EXPECT(SCB_VTOR == (uint32_t)ram_vectors, "VTOR reads 0x%08x", SCB_VTOR);
    __asm volatile("svc 0" ::: "memory");
    EXPECT(alt_svc_hits == 1, "RAM table handler ran %u times", alt_svc_hits);
    EXPECT_LOG_EMPTY();

    SCB_VTOR = (uint32_t)__vectors;
    sync();
    __asm volatile("svc 0" ::: "memory");
    EXPECT(alt_svc_hits == 1, "RAM table still used after VTOR restore");
    EXPECT_LOG(EXC_SVCALL);
}
