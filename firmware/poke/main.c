/* poke: a guest that tries to reach what only driver context may reach: the driver window
 * (HV_WINDOW_BASE) and the physical block controller and console UART. BusFault, MemManage and
 * UsageFault are enabled; one handler (for them and HardFault) records the fault and resumes
 * after the faulting instruction, or at the return address of a branch whose target faulted.
 * One line per attempt on UART0:
 *
 *   poke: <attempt>: fault <kind> cfsr=0x... hfsr=0x... bfar=0x... mmfar=0x...
 *   poke: <attempt>: read 0x...               (a load that did not fault)
 *   poke: <attempt>: no fault                 (a store or branch that did not fault)
 *
 * then `poke: done`. The attempts, in order: read-interface (load 0x60000400), write-window
 * (store 0x60001000), jump-window (blx 0x60000801), read-blkctl-id (0x40110000),
 * read-hostuart (0x40118000, DATA), and for the block controller slots 0 and 1: program UNIT 0,
 * SECTOR 1, COUNT 1 and a DMA address in SRAM, write COMMAND = 1 (READ) and then 2 (WRITE), and
 * read STATUS back (blkctl-slot<n>-read, blkctl-slot<n>-write, blkctl-slot<n>-status); finally
 * the console UART: CHANNEL = 1, then "LEAK\n" on DATA (hostuart-write). */
#include "board.h"
#include "cmsis.h"
#include "hvlab-io.h"
#include "uart.h"

static volatile uint32_t f_count, f_kind, f_cfsr, f_hfsr, f_bfar, f_mmfar, f_pc;
static uint8_t dma_buffer[512] __attribute__((aligned(8)));

/* Called from the handler stub with the stacked frame (r0-r3, r12, lr, pc, xpsr). */
void poke_fault(uint32_t *frame)
{
    uint32_t pc = frame[6];

    f_count++;
    f_kind = __get_IPSR() & 0x1ffu;
    f_cfsr = SCB_CFSR;
    f_hfsr = SCB_HFSR;
    f_bfar = SCB_BFAR;
    f_mmfar = SCB_MMFAR;
    f_pc = pc;
    if ((pc & 0xfff00000u) == HV_WINDOW_BASE) {
        /* The branch target faulted: return to the caller of the branch. */
        frame[6] = frame[5] & ~1u;
        frame[7] |= XPSR_T;
    } else {
        uint16_t hw = *(const uint16_t *)pc;
        frame[6] = pc + ((hw >> 11) >= 0x1Du ? 4u : 2u);
    }
    SCB_CFSR = f_cfsr;
    SCB_HFSR = f_hfsr;
}

__attribute__((naked)) void poke_fault_stub(void)
{
    __asm volatile(
        "tst lr, #4\n\t"
        "ite eq\n\t"
        "mrseq r0, msp\n\t"
        "mrsne r0, psp\n\t"
        "b poke_fault\n\t");
}

void HardFault_Handler(void) __attribute__((alias("poke_fault_stub")));
void MemManage_Handler(void) __attribute__((alias("poke_fault_stub")));
void BusFault_Handler(void) __attribute__((alias("poke_fault_stub")));
void UsageFault_Handler(void) __attribute__((alias("poke_fault_stub")));

static const char *kind_name(uint32_t kind)
{
    switch (kind) {
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    default: return "other";
    }
}

static void begin(void)
{
    f_count = 0;
    f_kind = f_cfsr = f_hfsr = f_bfar = f_mmfar = f_pc = 0;
}

/* Prints the outcome of an attempt: the fault it took, or `what` when it took none. */
static void report(const char *name, int is_load, uint32_t value)
{
    if (f_count)
        uart_printf("poke: %s: fault %s cfsr=0x%08x hfsr=0x%08x bfar=0x%08x mmfar=0x%08x\n", name,
                    kind_name(f_kind), f_cfsr, f_hfsr, f_bfar, f_mmfar);
    else if (is_load)
        uart_printf("poke: %s: read 0x%08x\n", name, value);
    else
        uart_printf("poke: %s: no fault\n", name);
}

static uint32_t load(uint32_t address)
{
    uint32_t v = 0xdeadbeefu;
    __asm volatile("ldr %0, [%1]" : "+r"(v) : "r"(address) : "memory");
    return v;
}

static void store(uint32_t address, uint32_t value)
{
    __asm volatile("str %0, [%1]" :: "r"(value), "r"(address) : "memory");
}

static void try_load(const char *name, uint32_t address)
{
    begin();
    uint32_t v = load(address);
    report(name, 1, v);
}

static void try_store(const char *name, uint32_t address, uint32_t value)
{
    begin();
    store(address, value);
    report(name, 0, 0);
}

static void try_branch(const char *name, uint32_t target)
{
    begin();
    __asm volatile("blx %0" :: "r"(target) : "r0", "r1", "r2", "r3", "r12", "lr", "memory", "cc");
    report(name, 0, 0);
}

static void poke_blkctl_slot(uint32_t slot)
{
    uint32_t base = HV_BLKCTL_BASE + slot * HV_SLOT_STRIDE;
    char name[40];

    for (uint32_t i = 0; i < sizeof dma_buffer; i++)
        dma_buffer[i] = 0xA5;
    store(base + BLKCTL_UNIT, 0);
    store(base + BLKCTL_SECTOR_LO, 1);
    store(base + BLKCTL_SECTOR_HI, 0);
    store(base + BLKCTL_COUNT, 1);
    store(base + BLKCTL_DMA_ADDR, (uint32_t)dma_buffer);
    snprintf_(name, sizeof name, "blkctl-slot%u-read", slot);
    try_store(name, base + BLKCTL_COMMAND, BLKCTL_CMD_READ);
    snprintf_(name, sizeof name, "blkctl-slot%u-write", slot);
    try_store(name, base + BLKCTL_COMMAND, BLKCTL_CMD_WRITE);
    snprintf_(name, sizeof name, "blkctl-slot%u-status", slot);
    try_load(name, base + BLKCTL_STATUS);
}

int main(void)
{
    uart_init();
    SCB_SHCSR |= SHCSR_MEMFAULTENA | SHCSR_BUSFAULTENA | SHCSR_USGFAULTENA;
    __DSB();
    __ISB();
    uart_printf("poke: start\n");

    try_load("read-interface", HV_INTERFACE_ADDR);
    try_store("write-window", HV_WINDOW_BASE + 0x1000u, 0x12345678u);
    try_branch("jump-window", HV_WINDOW_BASE + 0x801u);
    try_load("read-blkctl-id", HV_BLKCTL_BASE + BLKCTL_ID);
    try_load("read-hostuart", HV_HOSTUART_BASE);
    poke_blkctl_slot(0);
    poke_blkctl_slot(1);

    begin();
    store(HV_HOSTUART_BASE + HOSTUART_CHANNEL, 1);
    for (const char *s = "LEAK\n"; *s; s++)
        store(HV_HOSTUART_BASE + HOSTUART_DATA, (uint8_t)*s);
    report("hostuart-write", 0, 0);

    uart_printf("poke: done\n");
    return 0;
}
