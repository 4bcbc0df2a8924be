/* Register map of the QEMU mps2-an386 board (Cortex-M4, CMSDK peripherals).
 * Addresses follow the AN386 application note and QEMU's hw/arm/mps2.c. */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

#define REG32(addr) (*(volatile uint32_t *)(addr))
#define REG8(addr)  (*(volatile uint8_t *)(addr))

#define SYSCLK_HZ 25000000u  /* SysTick CLKSOURCE=1, UART PCLK, timers */
#define REFCLK_HZ 1000000u   /* SysTick CLKSOURCE=0 */

/* Memory map */
#define SSRAM1_BASE  0x00000000u  /* code, 4 MiB */
#define SSRAM23_BASE 0x20000000u  /* data, 4 MiB */
#define SSRAM23_SIZE 0x00400000u
#define UNMAPPED_ADDR 0x30000000u /* inside the 0x24000000-0x3FFFFFFF hole: BusFault */

/* CMSDK APB UART0 */
#define UART0_BASE      0x40004000u
#define UART_DATA(b)    REG32((b) + 0x000)
#define UART_STATE(b)   REG32((b) + 0x004)
#define UART_CTRL(b)    REG32((b) + 0x008)
#define UART_INTSTATUS(b) REG32((b) + 0x00C)
#define UART_BAUDDIV(b) REG32((b) + 0x010)
#define UART_STATE_TXFULL (1u << 0)
#define UART_STATE_RXFULL (1u << 1)
#define UART_CTRL_TX_EN   (1u << 0)
#define UART_CTRL_RX_EN   (1u << 1)

/* CMSDK APB timer0 (IRQ 8) */
#define TIMER0_BASE     0x40000000u
#define TIMER_CTRL(b)   REG32((b) + 0x000)
#define TIMER_VALUE(b)  REG32((b) + 0x004)
#define TIMER_RELOAD(b) REG32((b) + 0x008)
#define TIMER_INTCLEAR(b) REG32((b) + 0x00C)
#define TIMER_CTRL_EN    (1u << 0)
#define TIMER_CTRL_IRQEN (1u << 3)

/* External IRQ numbers (NVIC inputs) */
#define UART0_RX_IRQn 0
#define UART0_TX_IRQn 1
#define TIMER0_IRQn   8
#define TIMER1_IRQn   9
#define DUALTIMER_IRQn 10
#define NUM_IRQS      32

/* Exception numbers (IPSR values) */
#define EXC_NMI        2
#define EXC_HARDFAULT  3
#define EXC_MEMMANAGE  4
#define EXC_BUSFAULT   5
#define EXC_USAGEFAULT 6
#define EXC_SVCALL     11
#define EXC_DEBUGMON   12
#define EXC_PENDSV     14
#define EXC_SYSTICK    15
#define EXC_IRQ(n)     (16 + (n))

/* SysTick */
#define SYST_CSR   REG32(0xE000E010u)
#define SYST_RVR   REG32(0xE000E014u)
#define SYST_CVR   REG32(0xE000E018u)
#define SYST_CALIB REG32(0xE000E01Cu)
#define SYST_CSR_ENABLE    (1u << 0)
#define SYST_CSR_TICKINT   (1u << 1)
#define SYST_CSR_CLKSOURCE (1u << 2)
#define SYST_CSR_COUNTFLAG (1u << 16)

/* NVIC: n is the register index (IRQ / 32); only index 0 exists here */
#define NVIC_ISER(n) REG32(0xE000E100u + 4u * (n))
#define NVIC_ICER(n) REG32(0xE000E180u + 4u * (n))
#define NVIC_ISPR(n) REG32(0xE000E200u + 4u * (n))
#define NVIC_ICPR(n) REG32(0xE000E280u + 4u * (n))
#define NVIC_IABR(n) REG32(0xE000E300u + 4u * (n))
#define NVIC_IPR_BASE 0xE000E400u
#define NVIC_IPR8(irq)  REG8(NVIC_IPR_BASE + (irq))      /* byte access */
#define NVIC_IPR32(n)   REG32(NVIC_IPR_BASE + 4u * (n))  /* word access */
#define NVIC_STIR  REG32(0xE000EF00u)

/* System control block */
#define SCB_ICTR   REG32(0xE000E004u)
#define SCB_CPUID  REG32(0xE000ED00u)
#define SCB_ICSR   REG32(0xE000ED04u)
#define SCB_VTOR   REG32(0xE000ED08u)
#define SCB_AIRCR  REG32(0xE000ED0Cu)
#define SCB_SCR    REG32(0xE000ED10u)
#define SCB_CCR    REG32(0xE000ED14u)
#define SCB_SHPR1  REG32(0xE000ED18u)
#define SCB_SHPR2  REG32(0xE000ED1Cu)
#define SCB_SHPR3  REG32(0xE000ED20u)
#define SCB_SHPR8(exc) REG8(0xE000ED18u + (exc) - 4u)  /* byte per exception 4..15 */
#define SCB_SHCSR  REG32(0xE000ED24u)
#define SCB_CFSR   REG32(0xE000ED28u)
#define SCB_HFSR   REG32(0xE000ED2Cu)
#define SCB_DFSR   REG32(0xE000ED30u)
#define SCB_MMFAR  REG32(0xE000ED34u)
#define SCB_BFAR   REG32(0xE000ED38u)
#define SCB_CPACR  REG32(0xE000ED88u)
#define FPU_FPCCR  REG32(0xE000EF34u)
#define FPU_FPCAR  REG32(0xE000EF38u)
#define FPU_FPDSCR REG32(0xE000EF3Cu)

#define ICSR_VECTACTIVE_MASK 0x1FFu
#define ICSR_RETTOBASE   (1u << 11)
#define ICSR_VECTPENDING_SHIFT 12
#define ICSR_VECTPENDING_MASK (0x1FFu << 12)
#define ICSR_ISRPENDING  (1u << 22)
#define ICSR_PENDSTCLR   (1u << 25)
#define ICSR_PENDSTSET   (1u << 26)
#define ICSR_PENDSVCLR   (1u << 27)
#define ICSR_PENDSVSET   (1u << 28)
#define ICSR_NMIPENDSET  (1u << 31)

#define AIRCR_VECTKEY    (0x05FAu << 16)

#define SCR_SLEEPONEXIT  (1u << 1)
#define SCR_SLEEPDEEP    (1u << 2)
#define SCR_SEVONPEND    (1u << 4)

#define CCR_NONBASETHRDENA (1u << 0)
#define CCR_USERSETMPEND (1u << 1)
#define CCR_UNALIGN_TRP  (1u << 3)
#define CCR_DIV_0_TRP    (1u << 4)
#define CCR_BFHFNMIGN    (1u << 8)
#define CCR_STKALIGN     (1u << 9)

#define SHCSR_MEMFAULTACT  (1u << 0)
#define SHCSR_BUSFAULTACT  (1u << 1)
#define SHCSR_USGFAULTACT  (1u << 3)
#define SHCSR_SVCALLACT    (1u << 7)
#define SHCSR_PENDSVACT    (1u << 10)
#define SHCSR_SYSTICKACT   (1u << 11)
#define SHCSR_MEMFAULTENA  (1u << 16)
#define SHCSR_BUSFAULTENA  (1u << 17)
#define SHCSR_USGFAULTENA  (1u << 18)

/* CFSR = UFSR:BFSR:MMFSR */
#define CFSR_IACCVIOL    (1u << 0)
#define CFSR_DACCVIOL    (1u << 1)
#define CFSR_MMARVALID   (1u << 7)
#define CFSR_IBUSERR     (1u << 8)
#define CFSR_PRECISERR   (1u << 9)
#define CFSR_IMPRECISERR (1u << 10)
#define CFSR_UNSTKERR    (1u << 11)
#define CFSR_STKERR      (1u << 12)
#define CFSR_BFARVALID   (1u << 15)
#define CFSR_UNDEFINSTR  (1u << 16)
#define CFSR_INVSTATE    (1u << 17)
#define CFSR_INVPC       (1u << 18)
#define CFSR_NOCP        (1u << 19)
#define CFSR_UNALIGNED   (1u << 24)
#define CFSR_DIVBYZERO   (1u << 25)

#define HFSR_VECTTBL (1u << 1)
#define HFSR_FORCED  (1u << 30)
#define HFSR_DEBUGEVT (1u << 31)

#define CPACR_CP10_CP11_FULL (0xFu << 20)
#define FPCCR_LSPACT (1u << 0)
#define FPCCR_LSPEN  (1u << 30)
#define FPCCR_ASPEN  (1u << 31)

#define CONTROL_NPRIV (1u << 0)
#define CONTROL_SPSEL (1u << 1)
#define CONTROL_FPCA  (1u << 2)

#define XPSR_T        (1u << 24)
#define XPSR_SPREALIGN (1u << 9)

/* EXC_RETURN values */
#define EXC_RETURN_HANDLER     0xFFFFFFF1u
#define EXC_RETURN_THREAD_MSP  0xFFFFFFF9u
#define EXC_RETURN_THREAD_PSP  0xFFFFFFFDu
#define EXC_RETURN_HANDLER_FP  0xFFFFFFE1u
#define EXC_RETURN_THREAD_MSP_FP 0xFFFFFFE9u
#define EXC_RETURN_THREAD_PSP_FP 0xFFFFFFEDu

static inline void nvic_enable_irq(unsigned irq)  { NVIC_ISER(irq >> 5) = 1u << (irq & 31); }
static inline void nvic_disable_irq(unsigned irq) { NVIC_ICER(irq >> 5) = 1u << (irq & 31); }
static inline void nvic_set_pending(unsigned irq) { NVIC_ISPR(irq >> 5) = 1u << (irq & 31); }
static inline void nvic_clear_pending(unsigned irq) { NVIC_ICPR(irq >> 5) = 1u << (irq & 31); }
static inline void nvic_set_priority(unsigned irq, uint8_t prio) { NVIC_IPR8(irq) = prio; }

#include "cmsis.h"

#endif
