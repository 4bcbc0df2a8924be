/* Walks memory upward from the start of its RAM until something faults;
 * no handlers (BARE_VECTORS), so the fault ends the guest. Shows how much of
 * the address space a guest can read. */
#include "board.h"
#include "uart.h"

#define PAGE 0x1000u
#define MIB  0x100000u

int main(void)
{
    uart_init();
    uart_printf("scan: start\n");
    for (uint32_t addr = SSRAM23_BASE; addr != 0; addr += PAGE) {
        (void)REG32(addr);
        if ((addr & (MIB - 1)) == 0)
            uart_printf("scan: 0x%08x ok\n", addr);
    }
    uart_printf("scan: wrapped around without a fault\n");
    return 1;
}
