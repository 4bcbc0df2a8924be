#ifndef SEMIHOSTING_H
#define SEMIHOSTING_H

#include <stdint.h>

#define SYS_GET_CMDLINE   0x15u
#define SYS_EXIT          0x18u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_Stopped_ApplicationExit 0x20026u

/* Raw semihosting call (bkpt 0xab). Only works when the host enables semihosting. */
uint32_t semihost_call(uint32_t op, uint32_t arg);

/* Ask the host to stop the guest with an exit code; never returns. */
void sys_exit(int code) __attribute__((noreturn));

/* SYS_GET_CMDLINE: the host's command line for the guest (hvlab: key=value words) into buf,
 * always NUL-terminated (empty on failure). Returns 0, or -1 if the host refused. */
int semihost_get_cmdline(char *buf, uint32_t size);

/* Words of a command line are separated by spaces or tabs; a word key=value sets key.
 * cmdline_get: the value of the last word for key (copied, NUL-terminated, truncated to
 * size - 1): 1 if present, 0 if not. cmdline_get_u32: decimal or 0x hex; 1 if present and
 * valid, 0 if absent, -1 if present but not a number that fits 32 bits. */
int cmdline_get(const char *cmdline, const char *key, char *value, uint32_t size);
int cmdline_get_u32(const char *cmdline, const char *key, uint32_t *value);

#endif
