#include "semihosting.h"

uint32_t semihost_call(uint32_t op, uint32_t arg)
{
    register uint32_t r0 __asm("r0") = op;
    register uint32_t r1 __asm("r1") = arg;
    /* "memory": the host may read a parameter block the caller just built. */
    __asm volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void sys_exit(int code)
{
    if (code == 0) {
        /* On AArch32 SYS_EXIT takes the reason code itself, not a block. */
        semihost_call(SYS_EXIT, ADP_Stopped_ApplicationExit);
    } else {
        /* SYS_EXIT_EXTENDED is the only AArch32 way to pass a status. */
        volatile uint32_t block[2] = { ADP_Stopped_ApplicationExit, (uint32_t)code };
        semihost_call(SYS_EXIT_EXTENDED, (uint32_t)block);
    }
    /* Without a semihosting host the bkpt faults or returns; park the CPU. */
    for (;;)
        __asm volatile("wfi");
}

int semihost_get_cmdline(char *buf, uint32_t size)
{
    if (!buf || size == 0)
        return -1;
    buf[0] = '\0';
    volatile uint32_t block[2] = { (uint32_t)buf, size };
    uint32_t r = semihost_call(SYS_GET_CMDLINE, (uint32_t)block);
    if (r != 0) {
        buf[0] = '\0';
        return -1;
    }
    /* block[1] is the length the host wrote, without the NUL. */
    uint32_t len = block[1];
    buf[len < size ? len : size - 1] = '\0';
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Finds the last word "key=..." and returns its value and length, or 0. */
static const char *find_value(const char *s, const char *key, uint32_t *len)
{
    const char *found = 0;
    uint32_t klen = 0;

    while (key[klen])
        klen++;
    while (*s) {
        while (is_space(*s))
            s++;
        const char *word = s;
        while (*s && !is_space(*s))
            s++;
        uint32_t wlen = (uint32_t)(s - word);
        uint32_t i = 0;
        while (i < klen && i < wlen && word[i] == key[i])
            i++;
        if (i == klen && wlen > klen && word[klen] == '=') {
            found = word + klen + 1;
            *len = wlen - klen - 1;
        }
    }
    return found;
}

int cmdline_get(const char *cmdline, const char *key, char *value, uint32_t size)
{
    uint32_t len = 0;
    const char *v = find_value(cmdline, key, &len);
    if (!v)
        return 0;
    if (size) {
        uint32_t n = len < size - 1 ? len : size - 1;
        for (uint32_t i = 0; i < n; i++)
            value[i] = v[i];
        value[n] = '\0';
    }
    return 1;
}

int cmdline_get_u32(const char *cmdline, const char *key, uint32_t *value)
{
    uint32_t len = 0, i = 0, base = 10, v = 0;
    const char *s = find_value(cmdline, key, &len);

    if (!s)
        return 0;
    if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    if (i == len)
        return -1;
    for (; i < len; i++) {
        char c = s[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = (uint32_t)(c - '0');
        else if (base == 16 && c >= 'a' && c <= 'f')
            d = (uint32_t)(c - 'a' + 10);
        else if (base == 16 && c >= 'A' && c <= 'F')
            d = (uint32_t)(c - 'A' + 10);
        else
            return -1;
        if (v > (0xffffffffu - d) / base)
            return -1;
        v = v * base + d;
    }
    *value = v;
    return 1;
}
