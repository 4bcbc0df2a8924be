/* Echoes what arrives on UART0: each received byte is sent back, and a line
 * "quit" ends the guest. Bytes arrive through the UART0 RX interrupt (IRQ 0)
 * into a ring buffer; main sleeps in WFI while the buffer is empty.
 * Built with debug information (-g) as the example to debug with gdb:
 * `received` and `lines` are globals to watch. */
#include "board.h"
#include "uart.h"

#define UART_CTRL_RX_INTEN (1u << 3)
#define UART_INT_RX        (1u << 1)
#define RING_SIZE 64u

volatile uint32_t received;   /* bytes taken from the UART so far */
volatile uint32_t lines;      /* complete lines echoed so far */
static volatile uint8_t ring[RING_SIZE];
static volatile uint32_t head, tail;

/* UART0 RX interrupt: move the byte into the ring (dropped when it is full). */
void IRQ0_Handler(void)
{
    uint8_t byte = (uint8_t)UART_DATA(UART0_BASE);
    UART_INTSTATUS(UART0_BASE) = UART_INT_RX;   /* INTCLEAR */
    if (head - tail < RING_SIZE)
        ring[head++ % RING_SIZE] = byte;
    received++;
}

/* The next received byte; sleeps until one arrives. */
static uint8_t next_byte(void)
{
    for (;;) {
        __disable_irq();
        if (head != tail) {
            uint8_t byte = ring[tail++ % RING_SIZE];
            __enable_irq();
            return byte;
        }
        __WFI();            /* wakes on the pending interrupt even with PRIMASK set */
        __enable_irq();
    }
}

static int is_quit(const char *line, uint32_t len)
{
    return len == 4 && line[0] == 'q' && line[1] == 'u' && line[2] == 'i' && line[3] == 't';
}

int main(void)
{
    char line[80];
    uint32_t len = 0;

    uart_init();
    UART_CTRL(UART0_BASE) = UART_CTRL_TX_EN | UART_CTRL_RX_EN | UART_CTRL_RX_INTEN;
    nvic_enable_irq(UART0_RX_IRQn);
    uart_printf("echo: ready, type a line ('quit' ends)\n");
    for (;;) {
        uint8_t byte = next_byte();
        if (byte == '\r')
            continue;
        uart_putc((char)byte);
        if (byte != '\n') {
            if (len < sizeof line)
                line[len++] = (char)byte;
            continue;
        }
        lines++;
        if (is_quit(line, len))
            break;
        len = 0;
    }
    uart_printf("echo: %u bytes, %u lines\n", received, lines);
    return 0;
}
