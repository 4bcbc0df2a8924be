/* Block controller driver: program a command, start it, wait for it. */
#include "blkctl.h"
#include "driver.h"
#include "board.h"

#define POLL_LIMIT 1000000u   /* polls before giving up on a device that never finishes */

static volatile uint32_t blkctl_irqs;

uint32_t blkctl_slot(const struct hv_io_call *call)
{
    if (call->mode == HV_MODE_GRANT)
        return HV_BLKCTL_BASE + HV_DRIVER_VM_SLOT * HV_SLOT_STRIDE;
    uint32_t off = call->blk_slot - HV_BLKCTL_BASE;
    if (call->blk_slot < HV_BLKCTL_BASE || off % HV_SLOT_STRIDE != 0)
        return 0;
    uint32_t n = off / HV_SLOT_STRIDE;
    return n >= 1 && n <= HV_MAX_CORES ? call->blk_slot : 0;
}

void blkctl_init_vm(void)
{
    uint32_t slot = HV_BLKCTL_BASE + HV_DRIVER_VM_SLOT * HV_SLOT_STRIDE;
    REG32(slot + BLKCTL_INT_STATUS) = 1;
    REG32(slot + BLKCTL_INT_ENABLE) = 1;
    nvic_clear_pending(HV_BLKCTL_IRQ);
    nvic_enable_irq(HV_BLKCTL_IRQ);
}

void blkctl_irq_handler(void)
{
    REG32(HV_BLKCTL_BASE + HV_DRIVER_VM_SLOT * HV_SLOT_STRIDE + BLKCTL_INT_STATUS) = 1;
    blkctl_irqs++;
}

int blkctl_run(uint32_t slot, int irq, uint32_t unit, uint32_t cmd, uint64_t sector, uint32_t count, uint32_t dma)
{
    uint32_t status, polls = 0;

    if (!slot)
        return -1;
    REG32(slot + BLKCTL_UNIT) = unit;
    REG32(slot + BLKCTL_SECTOR_LO) = (uint32_t)sector;
    REG32(slot + BLKCTL_SECTOR_HI) = (uint32_t)(sector >> 32);
    REG32(slot + BLKCTL_COUNT) = count;
    REG32(slot + BLKCTL_DMA_ADDR) = dma;
    __DSB();   /* a DMA read must see what the driver wrote into the buffer */
    REG32(slot + BLKCTL_COMMAND) = cmd;

    if (irq) {
        /* The driver VM: race-free sleep until the completion interrupt (its handler clears
         * INT_STATUS); WFI ends for a pending interrupt even with PRIMASK set. */
        __disable_irq();
        while ((status = REG32(slot + BLKCTL_STATUS)) & BLKCTL_STATUS_BUSY) {
            if (++polls > POLL_LIMIT)
                break;
            __WFI();
            __enable_irq();
            __disable_irq();
        }
        __enable_irq();
    } else {
        /* Driver context: no interrupts; WFI lets the hypervisor skip to the completion. */
        while ((status = REG32(slot + BLKCTL_STATUS)) & BLKCTL_STATUS_BUSY) {
            if (++polls > POLL_LIMIT)
                break;
            __WFI();
        }
    }
    __DSB();
    if (status & (BLKCTL_STATUS_BUSY | BLKCTL_STATUS_ERROR))
        return -1;
    return 0;
}
