/**
 * The hypervisor's own driver for one slot of the physical block controller (used by the emulated
 * backend): it programs the slot's registers like any driver would and reports each completion
 * with the time the device spent.
 */
import type { BlockController } from '../../../devices/block-controller.ts';
import type { Vm } from '../../core/vm.ts';
import { HV_SLOT_STRIDE } from '../layout.ts';

export interface DeviceCommand {
  readonly op: 'read' | 'write' | 'flush';
  readonly unit: number;
  readonly sector: number;
  readonly count: number;
  readonly address: number;
}

const OPCODE = { read: 1, write: 2, flush: 3 } as const;
const REG = { UNIT: 0x08, SECTOR_LO: 0x14, SECTOR_HI: 0x18, COUNT: 0x1c, DMA: 0x20, COMMAND: 0x24, STATUS: 0x28 } as const;
const STATUS_DONE = 1 << 1;

export class SlotDriver {
  private readonly base: number;
  private issuedAt = 0;

  constructor(
    private readonly controller: BlockController,
    slot: number,
    private readonly vm: Vm,
    /** Called when the command completes: its STATUS, when it was issued and how long it took. */
    private readonly done: (status: number, issued: number, cycles: number) => void,
  ) {
    this.base = slot * HV_SLOT_STRIDE;
    controller.bind(slot, {
      time: vm.clock,
      dma: vm.memory,
      completed: (status) => this.done(status, this.issuedAt, vm.clock.now() - this.issuedAt),
    });
  }

  issue(c: DeviceCommand): void {
    const w = (reg: number, value: number) => this.controller.write(this.base + reg, 4, value);
    w(REG.UNIT, c.unit);
    w(REG.SECTOR_LO, c.sector % 2 ** 32);
    w(REG.SECTOR_HI, Math.floor(c.sector / 2 ** 32));
    w(REG.COUNT, c.count);
    w(REG.DMA, c.address);
    this.issuedAt = this.vm.clock.now();
    w(REG.COMMAND, OPCODE[c.op]);
    const status = this.controller.read(this.base + REG.STATUS, 4);
    // A command refused at once (bad range, DMA fault) completes without a device event.
    if (status & STATUS_DONE) this.done(status, this.issuedAt, 0);
  }
}
