/* Masks interrupts and spins: the host can only stop it from outside
 * (preemption by time, not by guest cooperation). Never exits. */
#include "board.h"
#include "uart.h"

int main(void)
{
    uart_init();
    uart_printf("spin: start\n");
    __disable_irq();
    for (;;)
        __asm volatile("" ::: "memory");
}
