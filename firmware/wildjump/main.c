/* Branches into unmapped memory (bit 0 set: a valid Thumb target), so the
 * instruction fetch faults. No handlers (BARE_VECTORS). */
#include "board.h"
#include "uart.h"

#define WILD_TARGET (UNMAPPED_ADDR | 1u)

int main(void)
{
    uart_init();
    uart_printf("wildjump: jumping to 0x%08x\n", WILD_TARGET);
    ((void (*)(void))WILD_TARGET)();
    uart_printf("wildjump: returned\n");
    return 1;
}
