#include "uart.h"
#include "board.h"

void uart_init(void)
{
    /* QEMU only checks 16 <= BAUDDIV; TX must be enabled before the first write
     * or the byte sticks in txbuf forever (no retrigger on CTRL write). */
    UART_BAUDDIV(UART0_BASE) = 16;
    UART_CTRL(UART0_BASE) = UART_CTRL_TX_EN;
}

void uart_putc(char c)
{
    while (UART_STATE(UART0_BASE) & UART_STATE_TXFULL)
        ;
    UART_DATA(UART0_BASE) = (uint8_t)c;
}

void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

/* Output sink: either the UART or a bounded buffer. */
struct sink {
    char *buf;
    unsigned size, len;
};

static void emit(struct sink *o, char c)
{
    if (!o->buf)
        uart_putc(c);
    else if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void emit_num(struct sink *o, uint32_t v, unsigned base, int upper,
                     int neg, unsigned width, char pad)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[12];
    unsigned n = 0;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    if (neg && pad == '0') {
        emit(o, '-');
        if (width)
            width--;
        neg = 0;
    }
    if (neg)
        tmp[n++] = '-';
    while (width > n) {
        emit(o, pad);
        width--;
    }
    while (n)
        emit(o, tmp[--n]);
}

static void format(struct sink *o, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(o, *fmt);
            continue;
        }
        char pad = ' ';
        unsigned width = 0;
        fmt++;
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9')
            width = width * 10 + (unsigned)(*fmt++ - '0');
        switch (*fmt) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            unsigned len = 0;
            if (!s)
                s = "(null)";
            while (s[len])
                len++;
            while (width > len) {
                emit(o, ' ');
                width--;
            }
            while (*s)
                emit(o, *s++);
            break;
        }
        case 'c':
            emit(o, (char)va_arg(ap, int));
            break;
        case 'd':
        case 'i': {
            int v = va_arg(ap, int);
            emit_num(o, v < 0 ? -(uint32_t)v : (uint32_t)v, 10, 0, v < 0, width, pad);
            break;
        }
        case 'u':
            emit_num(o, va_arg(ap, unsigned), 10, 0, 0, width, pad);
            break;
        case 'x':
        case 'X':
            emit_num(o, va_arg(ap, unsigned), 16, *fmt == 'X', 0, width, pad);
            break;
        case 'p':
            emit(o, '0');
            emit(o, 'x');
            emit_num(o, (uint32_t)va_arg(ap, void *), 16, 0, 0, 8, '0');
            break;
        case '%':
            emit(o, '%');
            break;
        case '\0':
            return;
        default:
            emit(o, '%');
            emit(o, *fmt);
            break;
        }
    }
}

void uart_vprintf(const char *fmt, va_list ap)
{
    struct sink o = { 0, 0, 0 };
    format(&o, fmt, ap);
}

void uart_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    uart_vprintf(fmt, ap);
    va_end(ap);
}

int vsnprintf_(char *buf, unsigned size, const char *fmt, va_list ap)
{
    struct sink o = { buf, size, 0 };
    format(&o, fmt, ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

int snprintf_(char *buf, unsigned size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf_(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

void uart_put_udec(uint32_t v)
{
    uart_printf("%u", v);
}

void uart_put_hex(uint32_t v)
{
    uart_printf("0x%08x", v);
}
