/* CPU work of a known length for the scheduling workloads: busy_instructions(n) retires about
 * n instructions (a two-instruction SUBS/BNE loop), so n cycles under hvlab's default
 * `timing: instruction` (one cycle per instruction). */
#ifndef BUSY_H
#define BUSY_H

#include <stdint.h>

static inline void busy_instructions(uint32_t n)
{
    uint32_t iterations = n / 2u;

    if (iterations == 0)
        return;
    __asm__ volatile("1: subs %0, %0, #1\n\tbne 1b" : "+r"(iterations) : : "cc");
}

#endif
