/* crunch: a CPU-bound benchmark in the spirit of CoreMark (not CoreMark itself): every iteration
 * walks and reorders a linked list, multiplies small matrices, runs a text-scanning state
 * machine and folds everything into a CRC-16, as CoreMark's kernels do. Deterministic: the
 * result line depends only on the instructions executed. `npm run bench` runs it under hvlab
 * and under qemu-system-arm -icount shift=0 and compares the wall time. */
#include "board.h"
#include "uart.h"

#define ITERATIONS 6000u
#define LIST 64
#define MAT 12
#define TEXT 256

struct node {
    struct node *next;
    int16_t value;
    uint16_t index;
};

static struct node nodes[LIST];
static int16_t ma[MAT][MAT], mb[MAT][MAT];
static int32_t mc[MAT][MAT];
static char text[TEXT];

static uint16_t crc16(uint16_t crc, uint32_t data, unsigned bits)
{
    for (unsigned i = 0; i < bits; i++) {
        uint16_t mix = (uint16_t)((crc ^ data) & 1u);
        crc >>= 1;
        data >>= 1;
        if (mix) crc ^= 0xA001u;
    }
    return crc;
}

static uint32_t lcg(uint32_t *s)
{
    return *s = *s * 1664525u + 1013904223u;
}

static struct node *list_build(uint32_t seed)
{
    for (int i = 0; i < LIST; i++) {
        nodes[i].value = (int16_t)(lcg(&seed) >> 17);
        nodes[i].index = (uint16_t)i;
        nodes[i].next = i + 1 < LIST ? &nodes[i + 1] : 0;
    }
    return &nodes[0];
}

static struct node *list_reverse(struct node *head)
{
    struct node *prev = 0;
    while (head) {
        struct node *next = head->next;
        head->next = prev;
        prev = head;
        head = next;
    }
    return prev;
}

/* Insertion sort by value (ties by index): branchy pointer chasing. */
static struct node *list_sort(struct node *head)
{
    struct node *sorted = 0;
    while (head) {
        struct node *n = head, **at = &sorted;
        head = head->next;
        while (*at && ((*at)->value < n->value || ((*at)->value == n->value && (*at)->index < n->index)))
            at = &(*at)->next;
        n->next = *at;
        *at = n;
    }
    return sorted;
}

static uint16_t list_kernel(uint32_t seed, uint16_t crc)
{
    struct node *head = list_sort(list_reverse(list_build(seed)));
    for (struct node *n = head; n; n = n->next) crc = crc16(crc, (uint16_t)n->value, 16);
    return crc;
}

static uint16_t matrix_kernel(uint32_t seed, uint16_t crc)
{
    for (int i = 0; i < MAT; i++)
        for (int j = 0; j < MAT; j++) {
            ma[i][j] = (int16_t)((lcg(&seed) >> 24) - 128);
            mb[i][j] = (int16_t)((lcg(&seed) >> 24) - 128);
        }
    for (int i = 0; i < MAT; i++)
        for (int j = 0; j < MAT; j++) {
            int32_t acc = 0;
            for (int k = 0; k < MAT; k++) acc += ma[i][k] * mb[k][j];
            mc[i][j] = acc > 4096 ? acc >> 3 : (acc < -4096 ? -(-acc >> 3) : acc);
        }
    for (int i = 0; i < MAT; i++) crc = crc16(crc, (uint32_t)mc[i][(i * 5) % MAT], 32);
    return crc;
}

enum state { START, INT, FRAC, EXP, SCI, INVALID };

/* Classifies the words of the text as integers, decimals, scientific numbers or invalid. */
static uint16_t state_kernel(uint32_t seed, uint16_t crc)
{
    static const char alphabet[] = "0123456789.+-eE ,x";
    for (int i = 0; i < TEXT - 1; i++) text[i] = alphabet[(lcg(&seed) >> 20) % (sizeof alphabet - 1)];
    text[TEXT - 1] = 0;
    uint32_t counts[6] = {0};
    enum state s = START;
    for (const char *p = text;; p++) {
        char ch = *p;
        if (ch == ' ' || ch == ',' || ch == 0) {
            counts[s]++;
            s = START;
            if (ch == 0) break;
            continue;
        }
        int digit = ch >= '0' && ch <= '9';
        switch (s) {
        case START: s = digit || ch == '+' || ch == '-' ? INT : (ch == '.' ? FRAC : INVALID); break;
        case INT: s = digit ? INT : (ch == '.' ? FRAC : (ch == 'e' || ch == 'E' ? EXP : INVALID)); break;
        case FRAC: s = digit ? FRAC : (ch == 'e' || ch == 'E' ? EXP : INVALID); break;
        case EXP: s = digit || ch == '+' || ch == '-' ? SCI : INVALID; break;
        case SCI: s = digit ? SCI : INVALID; break;
        case INVALID: break;
        }
    }
    for (int i = 0; i < 6; i++) crc = crc16(crc, counts[i], 16);
    return crc;
}

int main(void)
{
    uart_init();
    uart_printf("crunch: start %u iterations\n", ITERATIONS);
    uint16_t crc = 0;
    for (uint32_t it = 0; it < ITERATIONS; it++) {
        uint32_t seed = 0x1234u + it * 0x9E3779B9u;
        crc = list_kernel(seed, crc);
        crc = matrix_kernel(seed ^ crc, crc);
        crc = state_kernel(seed + crc, crc);
    }
    uart_printf("crunch: done %u iterations crc 0x%04x\n", ITERATIONS, crc);
    return 0;
}
