/*
 * Register sequences of the Cortex-M model (hv/arch/armv7m/cpu-registers.ts), each in one host
 * call: through koffi every uc_reg_read/uc_reg_write costs ~95 ns, here ~6-9 ns. The sequences
 * are the JavaScript ones, call for call, because of how Unicorn 2.1.1 handles M-profile state:
 * writing XPSR/CONTROL does not rebuild QEMU's cached mode flags (writing APSR_NZCV back does),
 * MSP/PSP read as 0 and CONTROL writes are ignored while the CPU is unprivileged, and
 * CONTROL.SPSEL applies only in privileged thread mode.
 */
#include "counter.h"

#define REG_APSR_NZCV 2
#define REG_MSP 115
#define REG_PSP 116
#define REG_CONTROL 117
#define REG_XPSR 120
#define IPSR_MASK 0x1ffu
#define XPSR_THUMB (1u << 24)
#define CONTROL_NPRIV 1u

static uint32_t get(uc_engine *uc, int id)
{
    uint32_t value = 0;
    uc_reg_read(uc, id, &value);
    return value;
}

static void put(uc_engine *uc, int id, uint32_t value)
{
    uc_reg_write(uc, id, &value);
}

/* CpuRegisters.rebuildFlags: QEMU recomputes its cached mode and privilege flags. */
static void rebuild_flags(uc_engine *uc)
{
    put(uc, REG_APSR_NZCV, get(uc, REG_APSR_NZCV));
}

/* CpuRegisters.setProcessorState: IPSR (0 = thread mode), CONTROL, both stack pointers and the
 * APSR/EPSR bits of `xpsr`, whatever the current mode and privilege (through privileged thread
 * mode, where Unicorn applies CONTROL.SPSEL). */
void hv_m_set_state(uc_engine *uc, uint32_t ipsr, uint32_t xpsr, uint32_t control, uint32_t msp, uint32_t psp)
{
    uint32_t current = get(uc, REG_XPSR);
    uint32_t handler = current & IPSR_MASK;
    put(uc, REG_XPSR, (current & ~IPSR_MASK) | (handler ? handler : 1));
    put(uc, REG_CONTROL, get(uc, REG_CONTROL) & ~CONTROL_NPRIV);
    put(uc, REG_XPSR, current & ~IPSR_MASK);
    put(uc, REG_CONTROL, control & ~CONTROL_NPRIV);
    put(uc, REG_MSP, msp);
    put(uc, REG_PSP, psp);
    put(uc, REG_XPSR, (xpsr & ~IPSR_MASK) | XPSR_THUMB | (ipsr & IPSR_MASK));
    if (control & CONTROL_NPRIV) put(uc, REG_CONTROL, control);
    rebuild_flags(uc);
}

/* CpuRegisters.stackPointers: out[0] = MSP, out[1] = PSP, read privileged (an unprivileged
 * thread is lifted to handler mode for the reads and put back); out[2] = CONTROL. */
void hv_m_stack_pointers(uc_engine *uc, uint32_t *out)
{
    uint32_t xpsr = get(uc, REG_XPSR);
    uint32_t control = get(uc, REG_CONTROL);
    int unprivileged_thread = (xpsr & IPSR_MASK) == 0 && (control & CONTROL_NPRIV) != 0;
    if (unprivileged_thread) put(uc, REG_XPSR, xpsr | 1);
    out[0] = get(uc, REG_MSP);
    out[1] = get(uc, REG_PSP);
    out[2] = control;
    if (unprivileged_thread) {
        put(uc, REG_XPSR, xpsr);
        rebuild_flags(uc);
    }
}
