/* Self-checking test of the ARMv7-M exception model. Every check starts
 * from the same clean NVIC/SCB state, so checks are independent and their
 * order does not matter. Output is one PASS/FAIL line per check, nothing
 * timing-dependent. */
#include "test.h"
#include "semihosting.h"

hook_fn volatile hooks[NUM_VECTORS];
volatile uint32_t evlog[LOG_MAX];
volatile uint32_t evcount;

static const char *current_check;
uint32_t boot_ccr; /* CCR as the core reset it, before any check runs */
static char failure[120];

typedef void (*vector_t)(void);
extern const vector_t __vectors[];

void log_event(uint32_t v)
{
    if (evcount < LOG_MAX)
        evlog[evcount] = v;
    evcount++;
}

void fail(const char *fmt, ...)
{
    if (failure[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf_(failure, sizeof failure, fmt, ap);
    va_end(ap);
}

void expect_log(const uint32_t *want, uint32_t n)
{
    uint32_t count = evcount;
    int ok = count == n;

    for (uint32_t i = 0; ok && i < n; i++)
        ok = evlog[i] == want[i];
    if (ok || failure[0])
        return;

    char got[64], exp[64];
    unsigned g = 0, e = 0;
    got[0] = exp[0] = '\0';
    for (uint32_t i = 0; i < count && i < LOG_MAX; i++)
        g += (unsigned)snprintf_(got + g, sizeof got - g, i ? ",%x" : "%x", evlog[i]);
    for (uint32_t i = 0; i < n; i++)
        e += (unsigned)snprintf_(exp + e, sizeof exp - e, i ? ",%x" : "%x", want[i]);
    fail("exception log [%s], expected [%s]", got, exp);
}

void skip_insn(uint32_t *frame)
{
    uint16_t hw = *(const uint16_t *)frame[6];
    /* Thumb-2: first halfword 0b11101/0b11110/0b11111 => 32-bit encoding. */
    frame[6] += (hw >> 11) >= 0x1D ? 4 : 2;
}

/* A fault nobody asked for: report it and stop, since the machine state is
 * no longer trustworthy for the remaining checks. */
static void unexpected_fault(uint32_t n, const uint32_t *frame)
{
    uart_printf("FAIL %s: unexpected exception %u, pc 0x%08x cfsr 0x%08x hfsr 0x%08x\n",
                current_check ? current_check : "?", n, frame[6], SCB_CFSR, SCB_HFSR);
    uart_printf("exceptions: done\n");
    sys_exit(1);
}

uint32_t exc_dispatch(uint32_t exc_return, uint32_t *frame)
{
    uint32_t n = __get_IPSR() & 0x1FF;
    hook_fn h = n < NUM_VECTORS ? hooks[n] : 0;

    log_event(n);
    if (h)
        return h(exc_return, frame);
    if (n >= EXC_HARDFAULT && n <= EXC_USAGEFAULT)
        unexpected_fault(n, frame);
    /* Unhooked but harmless: keep it from firing again. */
    if (n == EXC_SYSTICK)
        SYST_CSR = 0;
    if (n >= 16)
        nvic_disable_irq(n - 16);
    return exc_return;
}

static void reset_state(void)
{
    __disable_irq();
    SYST_CSR = 0;
    SYST_RVR = 0;
    SYST_CVR = 0;
    NVIC_ICER(0) = 0xFFFFFFFFu;
    NVIC_ICPR(0) = 0xFFFFFFFFu;
    SCB_ICSR = ICSR_PENDSTCLR | ICSR_PENDSVCLR;
    for (unsigned i = 0; i < NUM_IRQS; i++)
        NVIC_IPR8(i) = 0;
    SCB_SHPR1 = 0;
    SCB_SHPR2 = 0;
    SCB_SHPR3 = 0;
    SCB_SHCSR &= ~(SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA);
    SCB_CCR = CCR_STKALIGN;
    SCB_CFSR = SCB_CFSR; /* write-one-to-clear */
    SCB_HFSR = SCB_HFSR;
    SCB_VTOR = (uint32_t)__vectors;
    __set_BASEPRI(0);
    __enable_fault_irq();
    for (unsigned i = 0; i < NUM_VECTORS; i++)
        hooks[i] = 0;
    evcount = 0;
    sync();
    __enable_irq();
}

static int failures;

static void run(const char *name, void (*check)(void))
{
    current_check = name;
    failure[0] = '\0';
    reset_state();
    check();
    __enable_irq();
    __enable_fault_irq();
    EXPECT((__get_CONTROL() & (CONTROL_NPRIV | CONTROL_SPSEL)) == 0,
           "CONTROL left at 0x%x", __get_CONTROL());
    reset_state();
    if (failure[0]) {
        uart_printf("FAIL %s: %s\n", name, failure);
        failures++;
    } else {
        uart_printf("PASS %s\n", name);
    }
}

static const struct {
    const char *name;
    void (*fn)(void);
} checks[] = {
    { "svc-args", check_svc_args },
    { "priority-order", check_priority_order },
    { "preemption", check_preemption },
    { "basepri", check_basepri },
    { "faultmask", check_faultmask },
    { "primask", check_primask },
    { "escalation", check_escalation },
    { "usagefault-enabled", check_usagefault },
    { "busfault-precise", check_busfault },
    { "divzero", check_divzero },
    { "psp-thread", check_psp_thread },
    { "unprivileged", check_unprivileged },
    { "exc-return-variants", check_exc_return },
    { "vtor", check_vtor },
    { "icsr", check_icsr },
    { "systick-countflag", check_systick_countflag },
    { "wfi-wakes", check_wfi },
    { "nvic-regs", check_nvic_regs },
    { "stacking-align", check_stacking_align },
};

int main(void)
{
    boot_ccr = SCB_CCR;
    uart_init();
    uart_printf("exceptions: start\n");
    for (unsigned i = 0; i < sizeof checks / sizeof checks[0]; i++)
        run(checks[i].name, checks[i].fn);
    uart_printf("exceptions: done\n");
    return failures ? 1 : 0;
}
