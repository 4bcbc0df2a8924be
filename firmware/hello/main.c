#include "board.h"
#include "uart.h"

/* volatile so the sum is computed at run time rather than folded to 5050. */
static volatile uint32_t limit = 100;

int main(void)
{
    uint32_t sum = 0;

    uart_init();
    uart_printf("hello: booted\n");
    for (uint32_t i = 1; i <= limit; i++)
        sum += i;
    uart_printf("hello: sum(1..100) = %u\n", sum);
    uart_printf("hello: done\n");
    return 0;
}
