#ifndef EXC_TEST_H
#define EXC_TEST_H

#include "board.h"
#include "uart.h"
#include "libc.h"

/* Spare NVIC inputs: nothing on the board drives them, so they only fire
 * when a test pends them. */
#define IRQ_A 26
#define IRQ_B 27
#define IRQ_C 28
#define IRQ_D 29
#define IRQ_E 30

#define NUM_VECTORS (16 + NUM_IRQS)
#define LOG_MAX 16
#define MARK_EXIT 0x100u /* logged by a hook as it finishes: MARK_EXIT | exc */

/* A hook runs inside exc_dispatch and returns the EXC_RETURN to use. */
typedef uint32_t (*hook_fn)(uint32_t exc_return, uint32_t *frame);
extern hook_fn volatile hooks[NUM_VECTORS];

extern volatile uint32_t evlog[LOG_MAX];
extern volatile uint32_t evcount;
void log_event(uint32_t v);

/* Records the first failure of the running check (later ones are dropped). */
void fail(const char *fmt, ...);
#define EXPECT(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)
void expect_log(const uint32_t *want, uint32_t n);
#define EXPECT_LOG(...) do { \
        static const uint32_t want_[] = { __VA_ARGS__ }; \
        expect_log(want_, sizeof want_ / sizeof want_[0]); \
    } while (0)
#define EXPECT_LOG_EMPTY() expect_log(0, 0)

/* Pend an external IRQ the way software normally does and make sure it is
 * taken (if unmasked) before the next instruction. */
static inline void trigger(unsigned irq)
{
    NVIC_STIR = irq;
    __DSB();
    __ISB();
}

static inline void sync(void)
{
    __DSB();
    __ISB();
}

/* Move the stacked PC past the 16- or 32-bit instruction it points at. */
void skip_insn(uint32_t *frame);
static inline uint32_t svc_number(const uint32_t *frame)
{
    return ((const uint8_t *)frame[6])[-2];
}

/* checks_irq.c */
void check_svc_args(void);
void check_priority_order(void);
void check_preemption(void);
void check_basepri(void);
void check_faultmask(void);
void check_primask(void);
void check_exc_return(void);
void check_icsr(void);
void check_nvic_regs(void);
void check_vtor(void);

/* checks_fault.c */
void check_escalation(void);
void check_usagefault(void);
void check_busfault(void);
void check_divzero(void);
void check_psp_thread(void);
void check_unprivileged(void);
void check_systick_countflag(void);
void check_wfi(void);
void check_stacking_align(void);

#endif
