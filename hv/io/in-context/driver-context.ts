/**
 * Driver context for one caller: the address space the caller's core uses while it runs driver
 * code in the caller's context — the caller's RAM (the same host memory as the caller's own
 * engine), the driver window (the driver VM's memory) and the physical devices. It is a separate
 * Unicorn engine, so the caller's own engine never maps the window or the devices: guest code
 * cannot reach them outside driver context, by construction. The cost model charges what opening
 * the window costs on the real core (MPU reprogramming).
 *
 * call() runs an interface function to its return (a fetch of HV_CALL_RETURN_ADDR). WFI in
 * driver code waits for the block controller: virtual time jumps to the command's completion.
 */
import { ARM_REG as R, UC_ERR, UC_HOOK, UC_PROT } from '../../unicorn/constants.ts';
import { Engine } from '../../unicorn/engine.ts';
import type { RegisterBatch } from '../../unicorn/register-batch.ts';
import { CycleTimer } from '../../arch/armv7m/cycle-timing.ts';
import type { Vm } from '../../core/vm.ts';
import type { DriverVm } from '../driver-vm.ts';
import { HV_BLKCTL_BASE, HV_CALL_RETURN_ADDR, HV_HOSTUART_BASE, HV_WINDOW_BASE } from '../layout.ts';

/** Instructions a driver call may run before it counts as a runaway. */
export const DRIVER_CALL_BUDGET = 5_000_000;
const XPSR_THUMB = 1 << 24;

export interface DriverRun {
  /** Driver instructions before the first device wait (backend and physical driver). */
  readonly before: number;
  /** Cycles spent waiting for the device. */
  readonly device: number;
  /** Driver instructions after the last device wait (completion: status, used ring). */
  readonly after: number;
  /** Driver instructions between device waits. */
  readonly between: number;
}

export class DriverCallFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DriverCallFailed';
  }
}

export class DriverContext {
  readonly engine: Engine;
  private readonly entryRegisters: RegisterBatch;
  private stop: { kind: 'return' } | { kind: 'fault'; detail: string } | undefined;

  private readonly cycleTimer: CycleTimer | undefined;

  constructor(
    readonly caller: Vm,
    private readonly driver: DriverVm,
  ) {
    this.engine = Engine.open();
    try {
      for (const region of caller.board.memory) this.engine.mapHostMemory(region.base, region.host, region.perms);
      this.engine.mapHostMemory(HV_WINDOW_BASE, driver.window.host, UC_PROT.ALL);
      const { blockController, consoleUart } = driver.platform;
      this.engine.mapMmio(HV_BLKCTL_BASE, blockController.size, (o, s) => blockController.read(o, s), (o, s, v) => blockController.write(o, s, v));
      this.engine.mapMmio(HV_HOSTUART_BASE, consoleUart.size, (o) => consoleUart.read(o), (o, s, v) => consoleUart.write(o, s, v));
      this.installHooks();
      this.entryRegisters = this.engine.registerBatch([R.R0, R.SP, R.LR, R.XPSR, R.CONTROL]);
      // Driver code is timed like the caller's: one cycle per instruction, or cycle timing.
      if (caller.config.timing === 'cycle') this.cycleTimer = new CycleTimer(this.engine, HV_WINDOW_BASE, driver.window.size);
    } catch (error) {
      this.engine.close();
      throw error;
    }
  }

  /**
   * Calls `entry(record)` on `stackTop` and runs it to its return. The clock is told of every
   * stretch of driver instructions (so that virtual time stays exact for the device) and is asked
   * to wait for the device whenever the driver executes WFI.
   */
  call(entry: number, record: number, stackTop: number, clock: DriverClock): DriverRun {
    const e = this.engine;
    this.entryRegisters.write([record, stackTop, HV_CALL_RETURN_ADDR | 1, XPSR_THUMB, 0]);
    e.counter.breakFlow();
    let pc = entry & ~1;
    let budget = DRIVER_CALL_BUDGET;
    const segments: number[] = [];
    let device = 0;
    for (;;) {
      const executed = this.runSegment(pc, budget);
      clock.elapsed(executed);
      budget -= executed;
      segments.push(executed);
      if (this.stop?.kind === 'return') break;
      if (this.stop?.kind === 'fault') throw new DriverCallFailed(this.stop.detail);
      if (budget <= 0) throw new DriverCallFailed(`driver call ran more than ${DRIVER_CALL_BUDGET} instructions`);
      const wait = clock.waitForDevice();
      if (wait === undefined) throw new DriverCallFailed('driver waits (WFI) with no device command in flight');
      device += wait;
      pc = e.readRegister(R.PC);
    }
    const before = segments[0] ?? 0;
    const after = segments.length > 1 ? segments[segments.length - 1]! : 0;
    const between = segments.slice(1, -1).reduce((a, b) => a + b, 0);
    return { before, device, after, between };
  }

  close(): void {
    this.engine.close();
  }

  /** Runs driver code from `pc`; returns the cycles of the instructions it retired before it stopped. */
  private runSegment(pc: number, budget: number): number {
    const e = this.engine;
    let cycles = 0;
    let err: number;
    for (;;) {
      this.stop = undefined;
      e.counter.reset(budget - cycles);
      err = e.run(pc | 1);
      cycles += e.counter.cycles;
      if (!e.counter.needDecode || this.stop) break;
      pc = e.readRegister(R.PC);
      this.cycleTimer?.decode(pc);
    }
    // A normal end before the limit is a WFI: the caller waits for the device and resumes.
    const executed = cycles;
    if (this.stop || err === UC_ERR.OK) return executed;
    this.stop = { kind: 'fault', detail: `driver code stopped with Unicorn error ${err} at 0x${e.readRegister(R.PC).toString(16)}` };
    return executed;
  }

  private installHooks(): void {
    const e = this.engine;
    e.onInvalidMemory(UC_HOOK.MEM_UNMAPPED | UC_HOOK.MEM_PROT, (type, address) => {
      const returned = address === HV_CALL_RETURN_ADDR && e.readRegister(R.PC) === HV_CALL_RETURN_ADDR;
      this.stop = returned ? { kind: 'return' } : { kind: 'fault', detail: `driver access to 0x${address.toString(16)} (type ${type}) at 0x${e.readRegister(R.PC).toString(16)}` };
      return false;
    });
    e.onInterrupt((intno) => {
      this.stop = { kind: 'fault', detail: `driver code raised CPU exception ${intno} at 0x${e.readRegister(R.PC).toString(16)}` };
      e.stop();
    });
    e.onInvalidInstruction(() => {
      this.stop = { kind: 'fault', detail: `undefined instruction in driver code at 0x${e.readRegister(R.PC).toString(16)}` };
      return false;
    });
  }
}

/** How a driver call tells the caller's clock what it spent, and waits for the device. */
export interface DriverClock {
  elapsed(cycles: number): void;
  /** Cycles until the device command in flight completes (it is completed), or undefined. */
  waitForDevice(): number | undefined;
}

