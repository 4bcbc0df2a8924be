#ifndef SEMIHOSTING_H
#define SEMIHOSTING_H

#include <stdint.h>

#define SYS_EXIT          0x18u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_Stopped_ApplicationExit 0x20026u

/* Raw semihosting call (bkpt 0xab). Only works when the host enables semihosting. */
uint32_t semihost_call(uint32_t op, uint32_t arg);

/* Ask the host to stop the guest with an exit code; never returns. */
void sys_exit(int code) __attribute__((noreturn));

#endif
