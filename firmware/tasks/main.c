/* Preemptive two-task switcher: SysTick (1 ms) pends PendSV, PendSV swaps
 * the tasks' register sets. Each task prints its own numbered steps. */
#include "board.h"
#include "uart.h"
#include "semihosting.h"

#define STEPS 10
/* 4 instructions per iteration: ~320k instructions per step, i.e. about
 * 13 ticks of 1 ms per line when one instruction takes one 25 MHz cycle
 * (under QEMU -icount shift=0 an instruction is 1 ns: a tick per ~3 lines). */
#define WORK_ITERS 80000u
#define STACK_WORDS 512

/* Read and written by the assembly in switch.S. */
uint32_t *task_sp[2];
uint32_t current_task;
volatile uint32_t switch_count;

/* Shared between the tasks and the tick: volatile so each access really
 * happens (a task spinning on them must see the other's updates). */
static volatile uint32_t finished;
static volatile uint32_t ticks;
static volatile uint32_t sink;

static uint64_t stacks[2][STACK_WORDS / 2]; /* uint64_t: 8-byte aligned frames */

void SysTick_Handler(void)
{
    ticks++;
    SCB_ICSR = ICSR_PENDSVSET;
}

void tasks_start_tick(void)
{
    SYST_RVR = SYSCLK_HZ / 1000 - 1;
    SYST_CVR = 0;
    SYST_CSR = SYST_CSR_CLKSOURCE | SYST_CSR_TICKINT | SYST_CSR_ENABLE;
}

static uint32_t busy_work(uint32_t x)
{
    for (uint32_t i = 0; i < WORK_ITERS; i++) {
        x = x * 1664525u + 1013904223u;
        x ^= x >> 13;
    }
    return x;
}

/* A whole line is printed with interrupts off so the other task cannot
 * splice its output into the middle of it. */
static void print_step(char name, uint32_t n)
{
    uint32_t pm = __get_PRIMASK();
    __disable_irq();
    uart_printf("task %c: step %u\n", name, n);
    __set_PRIMASK(pm);
}

static void task_main(uint32_t id)
{
    char name = (char)('A' + id);
    uint32_t x = id + 1;

    for (uint32_t n = 1; n <= STEPS; n++) {
        x = busy_work(x);
        sink = x;
        print_step(name, n);
    }

    __disable_irq();
    if (++finished == 2) {
        uart_printf("tasks: done\n");
        /* No switch at all would mean the tick never preempted anything. */
        sys_exit(switch_count ? 0 : 1);
    }
    __enable_irq();
    for (;;)
        __WFI(); /* idle until the tick hands the CPU to the other task */
}

/* Lands here if a task function ever returned; it must not. */
static void task_exit_trap(void)
{
    for (;;)
        ;
}

static void task_create(uint32_t id, void (*entry)(uint32_t))
{
    uint32_t *sp = (uint32_t *)&stacks[id][STACK_WORDS / 2];

    *--sp = XPSR_T;                               /* xPSR: Thumb state */
    *--sp = (uint32_t)entry & ~1u;                /* pc */
    *--sp = (uint32_t)task_exit_trap;             /* lr */
    *--sp = 0;                                    /* r12 */
    *--sp = 0;                                    /* r3 */
    *--sp = 0;                                    /* r2 */
    *--sp = 0;                                    /* r1 */
    *--sp = id;                                   /* r0: argument */
    for (int r = 11; r >= 4; r--)
        *--sp = 0;                                /* r11..r4 */
    task_sp[id] = sp;
}

int main(void)
{
    uart_init();
    uart_printf("tasks: start\n");

    task_create(0, task_main);
    task_create(1, task_main);
    current_task = 0;

    SCB_SHPR8(EXC_PENDSV) = 0xFF;  /* lowest: switches never nest */
    SCB_SHPR8(EXC_SYSTICK) = 0x80;

    __DSB();  /* the frames must be in memory before the SVC reads them */
    __asm volatile("svc 0" ::: "memory");
    return 1; /* not reached */
}
