#ifndef UART_H
#define UART_H

#include <stdint.h>
#include <stdarg.h>

void uart_init(void);
void uart_putc(char c);
void uart_puts(const char *s);          /* no newline added */
void uart_put_udec(uint32_t v);
void uart_put_hex(uint32_t v);          /* "0x%08x" */

/* Subset of printf: %s %c %d %i %u %x %X %p %%, with optional '0' flag and width.
 * No format attribute: uint32_t is 'unsigned long' on arm-none-eabi and
 * would trip -Wformat on every %x; 32-bit int and long are passed alike. */
void uart_printf(const char *fmt, ...);
void uart_vprintf(const char *fmt, va_list ap);

/* Same formatter into a buffer; always NUL-terminates, returns the length written. */
int snprintf_(char *buf, unsigned size, const char *fmt, ...);
int vsnprintf_(char *buf, unsigned size, const char *fmt, va_list ap);

#endif
