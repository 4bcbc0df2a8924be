/* What the driver VM shares with the hypervisor: the interface table at HV_INTERFACE_ADDR, the
 * per-core call records, the mailbox and the stacks. driver-vm.ld places each in its own
 * section outside .bss, so the driver VM never zeroes them (driver code may be running on
 * other cores in callers' contexts, using calls[n] and stack n, while the driver VM boots). */
#include "driver.h"

struct hv_io_call hv_calls[HV_MAX_CORES] __attribute__((section(".noinit.hv_calls"), aligned(8)));
struct hv_mailbox hv_mailbox __attribute__((section(".noinit.hv_mailbox"), aligned(8)));
uint8_t hv_driver_stacks[HV_MAX_CORES * DRIVER_STACK_SIZE] __attribute__((section(".noinit.hv_stacks"), aligned(8)));
uint8_t hv_main_stack[MAIN_STACK_SIZE] __attribute__((section(".noinit.hv_main_stack"), aligned(8)));

_Static_assert(DRIVER_STACK_SIZE % 8 == 0 && MAIN_STACK_SIZE % 8 == 0, "stacks keep 8-byte alignment");

__attribute__((section(".hv_interface"), used))
const struct hv_driver_interface hv_interface = {
    .magic = HV_INTERFACE_MAGIC,
    .version = HV_INTERFACE_VERSION,
    .calls = (uint32_t)hv_calls,
    .stacks_top = (uint32_t)(hv_driver_stacks + sizeof(hv_driver_stacks)),
    .stack_size = DRIVER_STACK_SIZE,
    .blk_notify = (uint32_t)blk_notify,
    .console_notify = (uint32_t)console_notify,
    .mailbox = (uint32_t)&hv_mailbox,
};
