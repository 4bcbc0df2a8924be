/* Checks of fault escalation and status registers, stack selection,
 * privilege, SysTick, WFI and stack alignment on entry. */
#include "test.h"

extern uint32_t _stack_limit[], _stack_top[];
extern uint32_t boot_ccr;

static volatile uint32_t f_cfsr, f_hfsr, f_bfar, f_pc;

/* Records the fault status, then resumes after the faulting instruction
 * and clears the status so the next check starts clean. */
static uint32_t fault_hook(uint32_t er, uint32_t *frame)
{
    f_cfsr = SCB_CFSR;
    f_hfsr = SCB_HFSR;
    f_bfar = SCB_BFAR; /* before BFARVALID is cleared */
    f_pc = frame[6];
    skip_insn(frame);
    SCB_CFSR = f_cfsr;
    SCB_HFSR = f_hfsr;
    return er;
}

static void hook_faults(void)
{
    f_cfsr = f_hfsr = f_bfar = f_pc = 0;
    for (unsigned n = EXC_HARDFAULT; n <= EXC_USAGEFAULT; n++)
        hooks[n] = fault_hook;
}

/* Executes UDF and returns its address (the PC the fault must report). */
static uint32_t do_udf(void)
{
    uint32_t at;
    __asm volatile("adr.w %0, 1f\n1:\tudf #0" : "=r"(at) :: "memory");
    return at;
}

void check_escalation(void)
{
    hook_faults();
    uint32_t at = do_udf();
    EXPECT_LOG(EXC_HARDFAULT);
    EXPECT(f_hfsr == HFSR_FORCED, "HFSR 0x%08x, expected FORCED", f_hfsr);
    EXPECT(f_cfsr == CFSR_UNDEFINSTR, "CFSR 0x%08x, expected UNDEFINSTR", f_cfsr);
    EXPECT(f_pc == at, "stacked PC 0x%08x, UDF at 0x%08x", f_pc, at);
    EXPECT(SCB_CFSR == 0 && SCB_HFSR == 0, "status not cleared: CFSR 0x%08x HFSR 0x%08x",
           SCB_CFSR, SCB_HFSR);
}

void check_usagefault(void)
{
    hook_faults();
    SCB_SHCSR |= SHCSR_USGFAULTENA;
    sync();
    uint32_t at = do_udf();
    EXPECT_LOG(EXC_USAGEFAULT);
    EXPECT(f_hfsr == 0, "HFSR 0x%08x, expected 0", f_hfsr);
    EXPECT(f_cfsr == CFSR_UNDEFINSTR, "CFSR 0x%08x, expected UNDEFINSTR", f_cfsr);
    EXPECT(f_pc == at, "stacked PC 0x%08x, UDF at 0x%08x", f_pc, at);
}

void check_busfault(void)
{
    uint32_t at, v;

    hook_faults();
    SCB_SHCSR |= SHCSR_BUSFAULTENA;
    sync();
    /* ldr.n: a known 16-bit length for the handler to skip. */
    __asm volatile("adr.w %0, 1f\n1:\tldr.n %1, [%2]"
                   : "=&r"(at), "=&l"(v) : "l"(UNMAPPED_ADDR) : "memory");
    (void)v;
    EXPECT_LOG(EXC_BUSFAULT);
    EXPECT(f_cfsr == (CFSR_PRECISERR | CFSR_BFARVALID),
           "CFSR 0x%08x, expected PRECISERR|BFARVALID", f_cfsr);
    EXPECT(f_bfar == UNMAPPED_ADDR, "BFAR 0x%08x", f_bfar);
    EXPECT(f_hfsr == 0, "HFSR 0x%08x, expected 0", f_hfsr);
    EXPECT(f_pc == at, "stacked PC 0x%08x, load at 0x%08x", f_pc, at);
}

void check_divzero(void)
{
    uint32_t at, q;

    hook_faults();
    SCB_SHCSR |= SHCSR_USGFAULTENA;
    SCB_CCR |= CCR_DIV_0_TRP;
    sync();
    __asm volatile("adr.w %0, 1f\n1:\tudiv %1, %2, %3"
                   : "=&r"(at), "=&r"(q) : "r"(7), "r"(0) : "memory");
    EXPECT_LOG(EXC_USAGEFAULT);
    EXPECT(f_cfsr == CFSR_DIVBYZERO, "CFSR 0x%08x, expected DIVBYZERO", f_cfsr);
    EXPECT(f_pc == at, "stacked PC 0x%08x, udiv at 0x%08x", f_pc, at);

    SCB_CCR &= ~CCR_DIV_0_TRP;
    sync();
    int32_t s;
    __asm volatile("udiv %0, %1, %2" : "=r"(q) : "r"(7), "r"(0));
    __asm volatile("sdiv %0, %1, %2" : "=r"(s) : "r"(-7), "r"(0));
    EXPECT(q == 0 && s == 0, "x/0 without the trap gave udiv %u sdiv %d", q, s);
    EXPECT_LOG(EXC_USAGEFAULT);
}

static uint64_t psp_stack[64];
#define PSP_MAGIC 0xC0DE0002u
static volatile uint32_t s_er, s_sp, s_msp, s_psp, s_frame, s_r0, s_control;

static uint32_t record_svc_hook(uint32_t er, uint32_t *frame)
{
    s_er = er;
    s_sp = __get_SP();
    s_msp = __get_MSP();
    s_psp = __get_PSP();
    s_frame = (uint32_t)frame;
    s_r0 = frame[0];
    s_control = __get_CONTROL();
    if (svc_number(frame) == 3) /* give privilege back */
        __set_CONTROL(__get_CONTROL() & ~CONTROL_NPRIV);
    return er;
}

static int on_main_stack(uint32_t sp)
{
    return sp > (uint32_t)_stack_limit && sp <= (uint32_t)_stack_top;
}

void check_psp_thread(void)
{
    uint32_t top = (uint32_t)&psp_stack[64], thread_sp;
    register uint32_t r0 __asm("r0") = PSP_MAGIC;

    hooks[EXC_SVCALL] = record_svc_hook;
    __set_PSP(top);
    /* One asm block: compiler-generated code must never run while SP is the
     * PSP, since its frame lives on the main stack. */
    __asm volatile(
        "mrs  r3, control\n\t"
        "orr  r3, r3, #2\n\t"
        "msr  control, r3\n\t"
        "isb\n\t"
        "mov  %[tsp], sp\n\t"
        "svc  2\n\t"
        "mrs  r3, control\n\t"
        "bic  r3, r3, #2\n\t"
        "msr  control, r3\n\t"
        "isb"
        : [tsp] "=&r"(thread_sp), "+r"(r0) :: "r3", "memory");

    EXPECT(thread_sp == top, "thread SP 0x%08x with SPSEL=1, PSP was 0x%08x", thread_sp, top);
    EXPECT(s_er == EXC_RETURN_THREAD_PSP, "LR 0x%08x in SVC, expected 0xfffffffd", s_er);
    EXPECT(s_sp == s_msp && on_main_stack(s_sp), "handler SP 0x%08x is not MSP (0x%08x)",
           s_sp, s_msp);
    EXPECT(s_frame == top - 32 && s_psp == s_frame, "frame at 0x%08x, PSP 0x%08x, expected 0x%08x",
           s_frame, s_psp, top - 32);
    EXPECT(s_r0 == PSP_MAGIC, "stacked r0 0x%08x", s_r0);
    EXPECT((s_control & CONTROL_SPSEL) == 0, "CONTROL.SPSEL set in handler mode");
    EXPECT(on_main_stack(__get_SP()), "thread SP not back on MSP");
    EXPECT_LOG(EXC_SVCALL);
}

void check_unprivileged(void)
{
    uint32_t c_unpriv, c_after;
    const uint32_t bit = 1u << IRQ_E;

    hook_faults();
    hooks[EXC_SVCALL] = record_svc_hook;
    SCB_SHCSR |= SHCSR_BUSFAULTENA;
    sync();
    /* Unprivileged: CPSID and MSR PRIMASK are ignored, an NVIC write
     * BusFaults (str.n: 16-bit, skipped by the handler), and only an SVC
     * can restore privilege. */
    __asm volatile(
        "mrs  r3, control\n\t"
        "orr  r3, r3, #1\n\t"
        "msr  control, r3\n\t"
        "isb\n\t"
        "mrs  %[c1], control\n\t"
        "cpsid i\n\t"
        "movs r3, #1\n\t"
        "msr  primask, r3\n\t"
        "str.n %[bit], [%[iser]]\n\t"
        "svc  3\n\t"
        "mrs  %[c2], control"
        : [c1] "=&r"(c_unpriv), [c2] "=&r"(c_after)
        : [bit] "l"(bit), [iser] "l"(&NVIC_ISER(0))
        : "r3", "memory");
    uint32_t primask = __get_PRIMASK();
    __enable_irq();

    EXPECT(c_unpriv & CONTROL_NPRIV, "CONTROL.nPRIV did not read 1");
    EXPECT(primask == 0, "unprivileged code changed PRIMASK");
    EXPECT(f_cfsr == (CFSR_PRECISERR | CFSR_BFARVALID) && f_bfar == (uint32_t)&NVIC_ISER(0),
           "unprivileged NVIC write: CFSR 0x%08x BFAR 0x%08x", f_cfsr, f_bfar);
    EXPECT(!(NVIC_ISER(0) & bit), "unprivileged NVIC write took effect");
    EXPECT(s_control & CONTROL_NPRIV, "SVC handler saw CONTROL 0x%x", s_control);
    EXPECT(!(c_after & CONTROL_NPRIV), "privilege not restored, CONTROL 0x%x", c_after);
    EXPECT_LOG(EXC_BUSFAULT, EXC_SVCALL);
}

void check_systick_countflag(void)
{
    const uint32_t reload = 2499; /* 100 us at 25 MHz */
    uint32_t csr = 0;

    SYST_RVR = reload;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_ENABLE;
    for (uint32_t i = 0; i < 10000000u && !(csr & SYST_CSR_COUNTFLAG); i++)
        csr = SYST_CSR;
    /* Read-to-clear: the next wrap is a whole period away. */
    uint32_t again = SYST_CSR;
    uint32_t cvr = SYST_CVR;
    uint32_t pend = SCB_ICSR & ICSR_PENDSTSET;
    SYST_CSR = 0;

    EXPECT(csr & SYST_CSR_COUNTFLAG, "COUNTFLAG never set (CSR 0x%08x)", csr);
    EXPECT(!(again & SYST_CSR_COUNTFLAG), "COUNTFLAG still set after being read");
    EXPECT(cvr <= reload, "CVR 0x%x above RVR", cvr);
    EXPECT(!pend, "SysTick pended with TICKINT=0");
    EXPECT_LOG_EMPTY();
}

#define WFI_TICKS 5
static volatile uint32_t wfi_ticks;

static uint32_t wfi_tick_hook(uint32_t er, uint32_t *frame)
{
    (void)frame;
    if (++wfi_ticks == WFI_TICKS)
        SYST_CSR = 0;
    return er;
}

void check_wfi(void)
{
    uint32_t sleeps = 0;

    wfi_ticks = 0;
    hooks[EXC_SYSTICK] = wfi_tick_hook;
    SYST_RVR = SYSCLK_HZ / 1000 - 1;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
    /* Test and sleep with PRIMASK set: WFI still wakes on the pending tick,
     * and a tick between the test and the WFI cannot be missed. */
    __disable_irq();
    while (wfi_ticks < WFI_TICKS && sleeps < 100) {
        __WFI();
        sleeps++;
        __enable_irq();
        __ISB();
        __disable_irq();
    }
    __enable_irq();
    EXPECT(wfi_ticks == WFI_TICKS, "%u ticks after %u WFIs", wfi_ticks, sleeps);
    EXPECT_LOG(EXC_SYSTICK, EXC_SYSTICK, EXC_SYSTICK, EXC_SYSTICK, EXC_SYSTICK);
}

/* Takes svc 5 with SP = an 8-byte aligned address minus `misalign`. */
static void svc_with_sp_offset(uint32_t misalign, uint32_t *before, uint32_t *after)
{
    uint32_t saved, b, a;
    __asm volatile(
        "mov  %[saved], sp\n\t"
        "bic  %[b], %[saved], #7\n\t"
        "sub  %[b], %[b], %[mis]\n\t"
        "mov  sp, %[b]\n\t"
        "svc  5\n\t"
        "mov  %[a], sp\n\t"
        "mov  sp, %[saved]"
        : [saved] "=&r"(saved), [b] "=&r"(b), [a] "=&r"(a)
        : [mis] "r"(misalign) : "memory");
    *before = b;
    *after = a;
}

static volatile uint32_t st_frame, st_xpsr;

static uint32_t stack_svc_hook(uint32_t er, uint32_t *frame)
{
    st_frame = (uint32_t)frame;
    st_xpsr = frame[7];
    return er;
}

void check_stacking_align(void)
{
    uint32_t before, after;

    hooks[EXC_SVCALL] = stack_svc_hook;
    EXPECT(boot_ccr & CCR_STKALIGN, "CCR.STKALIGN clear at reset (CCR 0x%08x)", boot_ccr);

    svc_with_sp_offset(4, &before, &after);
    EXPECT(st_frame == before - 36, "misaligned SP 0x%08x: frame at 0x%08x", before, st_frame);
    EXPECT(st_xpsr & XPSR_SPREALIGN, "stacked xPSR 0x%08x lacks bit 9", st_xpsr);
    EXPECT(after == before, "SP 0x%08x after return, 0x%08x before", after, before);

    svc_with_sp_offset(8, &before, &after);
    EXPECT(st_frame == before - 32, "aligned SP 0x%08x: frame at 0x%08x", before, st_frame);
    EXPECT(!(st_xpsr & XPSR_SPREALIGN), "stacked xPSR 0x%08x has bit 9", st_xpsr);
    EXPECT(after == before, "SP 0x%08x after return, 0x%08x before", after, before);
    EXPECT_LOG(EXC_SVCALL, EXC_SVCALL);
}
