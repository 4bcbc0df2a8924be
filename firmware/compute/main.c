/* CPU-bound, deterministic workload for scheduling and accounting tests:
 * every round runs a CRC32, a prime sieve and an integer matrix multiply on
 * data derived from the round number and prints one checksum. No timers,
 * no interrupts: the output depends only on the instructions executed. */
#include "board.h"
#include "uart.h"

#define ROUNDS 20
#define BUF_BYTES (32u * 1024u)
#define SIEVE_LIMIT (256u * 1024u)  /* numbers below this; one bit each */
#define N 48                        /* matrix dimension */

static uint32_t buf[BUF_BYTES / 4];
static uint32_t composite[SIEVE_LIMIT / 32];
static int32_t ma[N][N], mb[N][N], mc[N][N];

static uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

/* Bitwise (table-free) CRC-32, polynomial 0xEDB88320: branchy and
 * shift-heavy on purpose, and needs no precomputed table. */
static uint32_t crc32(const uint8_t *p, uint32_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1u));
    }
    return ~crc;
}

/* Sieve of Eratosthenes over [0, SIEVE_LIMIT); returns the number of primes
 * and folds them into *mix so the whole result is checked. */
static uint32_t sieve(uint32_t *mix)
{
    uint32_t count = 0, h = *mix;

    for (uint32_t i = 0; i < SIEVE_LIMIT / 32; i++)
        composite[i] = 0;
    composite[0] = 3; /* 0 and 1 */
    for (uint32_t i = 2; i * i < SIEVE_LIMIT; i++) {
        if (composite[i >> 5] & (1u << (i & 31)))
            continue;
        for (uint32_t j = i * i; j < SIEVE_LIMIT; j += i)
            composite[j >> 5] |= 1u << (j & 31);
    }
    for (uint32_t i = 0; i < SIEVE_LIMIT; i++) {
        if (!(composite[i >> 5] & (1u << (i & 31)))) {
            count++;
            h = (h ^ i) * 16777619u; /* FNV-1a step */
        }
    }
    *mix = h;
    return count;
}

static uint32_t matmul(uint32_t seed)
{
    uint32_t s = seed | 1u, h = 2166136261u;

    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            ma[i][j] = (int32_t)(xorshift32(&s) % 201u) - 100;
            mb[i][j] = (int32_t)(xorshift32(&s) % 201u) - 100;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t acc = 0;
            for (int k = 0; k < N; k++)
                acc += ma[i][k] * mb[k][j];
            mc[i][j] = acc;
        }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++)
            h = (h ^ (uint32_t)mc[i][j]) * 16777619u;
    return h;
}

int main(void)
{
    uart_init();
    uart_printf("compute: start\n");
    for (uint32_t round = 1; round <= ROUNDS; round++) {
        uint32_t s = 0x9E3779B9u * round;
        for (uint32_t i = 0; i < BUF_BYTES / 4; i++)
            buf[i] = xorshift32(&s);

        uint32_t crc = crc32((const uint8_t *)buf, BUF_BYTES);
        uint32_t mix = crc;
        uint32_t primes = sieve(&mix);
        uint32_t mm = matmul(crc ^ round);
        uint32_t sum = crc ^ (mix * 31u) ^ (primes << 7) ^ (mm * 0x01000193u) ^ round;
        uart_printf("compute: round %u checksum 0x%08x\n", round, sum);
    }
    uart_printf("compute: done\n");
    return 0;
}
