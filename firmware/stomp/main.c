/* Overwrites the first MiB of data RAM, where a neighbouring guest's data
 * would sit in a shared address space, sparing only its own .data/.bss and
 * stack; then writes to an unmapped address. No handlers (BARE_VECTORS). */
#include "board.h"
#include "uart.h"

#define STOMP_END 0x20100000u
#define STOMP_PATTERN 0xDEADBEEFu
#define UNMAPPED_WRITE_ADDR 0x24000000u

extern uint32_t _ram_free_start[], _stack_limit[];

int main(void)
{
    uart_init();
    uart_printf("stomp: start\n");

    /* The stack lives at the top of RAM, far above STOMP_END, but clamp
     * anyway in case the layout changes. */
    uint32_t *end = (uint32_t *)STOMP_END;
    if (end > _stack_limit)
        end = _stack_limit;
    for (volatile uint32_t *p = _ram_free_start; p < end; p++)
        *p = STOMP_PATTERN ^ (uint32_t)p;

    uart_printf("stomp: pattern written up to 0x%08x, writing 0x%08x\n",
                STOMP_END, UNMAPPED_WRITE_ADDR);
    REG32(UNMAPPED_WRITE_ADDR) = STOMP_PATTERN;
    uart_printf("stomp: write did not fault\n");
    return 1;
}
