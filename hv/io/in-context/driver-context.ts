/**
 * Driver context for one caller: the address space the caller's core uses while it runs driver
 * code in the caller's context — the caller's RAM (the same host memory as the caller's own
 * engine), the driver window (the driver VM's memory) and the physical devices. It is a separate
 * Unicorn engine, so the caller's own engine never maps the window or the devices: guest code
 * cannot reach them outside driver context, by construction. The architecture's call runner
 * runs the interface functions; the cost model charges what opening the window costs on the real
 * core (MPU reprogramming).
 */
import type { ArchOps, CallRunner } from '../../arch/cpu.ts';
import type { Vm } from '../../core/vm.ts';
import { Engine } from '../../unicorn/engine.ts';
import { protection } from '../../unicorn/protection.ts';
import type { DriverVm } from '../driver-vm.ts';
import { HV_BLKCTL_BASE, HV_CALL_RETURN_ADDR, HV_HOSTUART_BASE, HV_WINDOW_BASE } from '../layout.ts';

/** Instructions a driver call may run before it counts as a runaway. */
export const DRIVER_CALL_BUDGET = 5_000_000;

export class DriverContext {
  readonly engine: Engine;
  readonly runner: CallRunner;

  constructor(caller: Vm, driver: DriverVm, arch: ArchOps) {
    this.engine = Engine.open();
    try {
      for (const region of caller.board.memory) this.engine.mapHostMemory(region.base, region.host, region.perms);
      this.engine.mapHostMemory(HV_WINDOW_BASE, driver.window.host, protection('rwx'));
      const { blockController, consoleUart } = driver.platform;
      const latch = driver.platform.blockControllerLatch;
      this.engine.mapMmio(HV_BLKCTL_BASE, blockController.size, (o, s) => blockController.read(o, s), (o, s, v) => blockController.write(o, s, v), latch);
      this.engine.mapMmio(HV_HOSTUART_BASE, consoleUart.size, (o) => consoleUart.read(o), (o, s, v) => consoleUart.write(o, s, v));
      // Driver code is timed like the caller's: one cycle per instruction, or cycle timing.
      this.runner = arch.createCallRunner(this.engine, {
        returnAddress: HV_CALL_RETURN_ADDR,
        budget: DRIVER_CALL_BUDGET,
        timing: caller.config.timing ?? 'instruction',
        codeMemory: { base: HV_WINDOW_BASE, size: driver.window.size },
      });
    } catch (error) {
      this.engine.close();
      throw error;
    }
  }

  close(): void {
    this.engine.close();
  }
}
