/* Saturates UART0 forever with no newline, to test output throttling and
 * line buffering in the host. Never exits. */
#include "board.h"
#include "uart.h"

int main(void)
{
    uart_init();
    uart_printf("flood: start\n");
    for (uint32_t i = 0;; i++) {
        while (UART_STATE(UART0_BASE) & UART_STATE_TXFULL)
            ;
        UART_DATA(UART0_BASE) = (uint32_t)('a' + i % 26);
    }
}
