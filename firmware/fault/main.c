/* Reads an unmapped address with no fault handlers installed (built with
 * BARE_VECTORS: HardFault vector = 0), so the host has to report the fault. */
#include "board.h"
#include "uart.h"

int main(void)
{
    uart_init();
    uart_printf("fault: reading unmapped address 0x%08x\n", UNMAPPED_ADDR);
    uint32_t v = REG32(UNMAPPED_ADDR);
    uart_printf("fault: read returned 0x%08x (no fault taken)\n", v);
    return 1;
}
