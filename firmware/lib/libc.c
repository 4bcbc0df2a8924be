#include <stdint.h>
#include "libc.h"

/* Without this GCC turns the loops below back into calls to themselves. */
#define NO_LIBCALL __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* With LIBC_WORD_COPY (the driver VM), word copies when both pointers are word-aligned: every
 * emulated store costs far more than an instruction, and the driver copies headers and
 * descriptors on every I/O. Other images keep the byte loops (and their committed bytes). */
NO_LIBCALL void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
#ifdef LIBC_WORD_COPY
    if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
        uint32_t *dw = (uint32_t *)dst;
        const uint32_t *sw = (const uint32_t *)src;
        for (; n >= 4; n -= 4)
            *dw++ = *sw++;
        d = (unsigned char *)dw;
        s = (const unsigned char *)sw;
    }
#endif
    while (n--)
        *d++ = *s++;
    return dst;
}

NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d < s) {
        while (n--)
            *d++ = *s++;
    } else {
        while (n--)
            d[n] = s[n];
    }
    return dst;
}

NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
#ifdef LIBC_WORD_COPY
    if (((uintptr_t)d & 3u) == 0) {
        uint32_t word = (unsigned char)c * 0x01010101u;
        uint32_t *dw = (uint32_t *)dst;
        for (; n >= 4; n -= 4)
            *dw++ = word;
        d = (unsigned char *)dw;
    }
#endif
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

NO_LIBCALL int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (; n; n--, x++, y++)
        if (*x != *y)
            return *x - *y;
    return 0;
}

NO_LIBCALL size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

NO_LIBCALL int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}
