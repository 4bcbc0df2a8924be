/**
 * A region the board has but hvlab does not model, as QEMU's unimplemented-device
 * (hw/misc/unimp.c): any access of 1-8 bytes anywhere in the region succeeds, reads return 0,
 * writes are ignored, and every access is reported through DeviceContext.unimplemented so that
 * a guest poking at a missing device is visible in the trace instead of silently "working".
 *
 * There are no registers: the size is whatever the board gives the region.
 */
import type { DeviceContext, MmioDevice } from './device.ts';

export class UnimplementedDevice implements MmioDevice {
  readonly model = 'unimplemented';

  constructor(
    readonly name: string,
    readonly size: number,
    private readonly ctx: DeviceContext,
  ) {}

  reset(): void {}

  /** No state: every register reads as zero. */
  saveState(): undefined {
    return undefined;
  }

  restoreState(): void {}

  read(offset: number, size: number): number {
    this.ctx.unimplemented(this.name, offset, size, false);
    return 0;
  }

  write(offset: number, size: number, _value: number): void {
    this.ctx.unimplemented(this.name, offset, size, true);
  }
}
