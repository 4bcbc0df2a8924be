/**
 * The hypervisor's own driver for one slot of the physical block controller (used by the emulated
 * backend): it programs the slot's registers like any driver would and reports each completion
 * with the time the device spent.
 */
import { BLKCTL_CMD, BLKCTL_REG as REG, BLKCTL_SLOT_STRIDE, BLKCTL_STATUS, type BlockController } from '../../../devices/block-controller.ts';
import type { MemoryPort } from '../../../devices/memory-port.ts';
import type { VirtualTime } from '../../time/virtual-time.ts';

export interface DeviceCommand {
  readonly op: 'read' | 'write' | 'flush';
  readonly unit: number;
  readonly sector: number;
  readonly count: number;
  readonly address: number;
}

const OPCODE = { read: BLKCTL_CMD.READ, write: BLKCTL_CMD.WRITE, flush: BLKCTL_CMD.FLUSH } as const;

export class SlotDriver {
  private readonly base: number;
  private issuedAt = 0;

  constructor(
    private readonly controller: BlockController,
    private readonly slot: number,
    private readonly clock: VirtualTime,
    /** The memory the slot's DMA reaches. */
    dma: MemoryPort,
    /** Called when the command completes: its STATUS, when it was issued and how long it took. */
    private readonly done: (status: number, issued: number, cycles: number) => void,
  ) {
    this.base = slot * BLKCTL_SLOT_STRIDE;
    controller.bind(slot, {
      time: clock,
      dma,
      completed: (status) => this.done(status, this.issuedAt, clock.now() - this.issuedAt),
    });
  }

  /** A command is in flight (the device refuses another until it completes). */
  get busy(): boolean {
    return this.controller.completionTime(this.slot) !== undefined;
  }

  /** When the command in flight was issued (a checkpoint keeps it with the controller's command). */
  get issued(): number {
    return this.issuedAt;
  }

  set issued(at: number) {
    this.issuedAt = at;
  }

  issue(c: DeviceCommand): void {
    const w = (reg: number, value: number) => this.controller.write(this.base + reg, 4, value);
    w(REG.UNIT, c.unit);
    w(REG.SECTOR_LO, c.sector % 2 ** 32);
    w(REG.SECTOR_HI, Math.floor(c.sector / 2 ** 32));
    w(REG.COUNT, c.count);
    w(REG.DMA_ADDR, c.address);
    this.issuedAt = this.clock.now();
    w(REG.COMMAND, OPCODE[c.op]);
    const status = this.controller.read(this.base + REG.STATUS, 4);
    // A command refused at once (bad range, DMA fault) completes without a device event.
    if (status & BLKCTL_STATUS.DONE) this.done(status, this.issuedAt, 0);
  }
}
