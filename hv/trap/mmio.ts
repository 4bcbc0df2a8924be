/**
 * The device interface a trapped access is dispatched to (Renode's and rp2040js's peripheral
 * shape): read(offset, size), write(offset, size, value), reset(), a declared size and a name.
 */
import { GuestSignal } from '../errors.ts';
import { hex } from '../format.ts';

export interface MmioDevice {
  /** Instance name, e.g. `uart0`. */
  readonly name: string;
  /** Model name, e.g. `cmsdk-apb-uart`. */
  readonly model: string;
  /** Size of the register window in bytes. */
  readonly size: number;
  read(offset: number, size: number): number;
  write(offset: number, size: number, value: number): void;
  reset(): void;
  /**
   * The device's state as plain data, for a checkpoint (undefined when it has none): its
   * registers, internal counters and the times of its pending events.
   */
  saveState(): unknown;
  /**
   * Puts back a state saveState() returned, into a device just reset: re-creates its pending
   * events at their saved times and drives its outputs (interrupt lines) to their levels.
   */
  restoreState(state: unknown): void;
  /**
   * A physical device assigned to this VM: its registers are reached directly (the hypervisor
   * maps them), so an access costs no trap.
   */
  readonly passthrough?: boolean;
}

/**
 * Thrown by a device (or the dispatcher) when the guest's access must fail with a precise bus
 * fault: an access to a hole in the memory map, a forbidden access size, an unprivileged access
 * to the system control space. The vCPU turns it into a BusFault; it never reaches the user.
 */
export class GuestBusError extends GuestSignal {
  readonly code = 'HV_GUEST_BUS_ERROR';

  constructor(
    readonly address: number,
    readonly write: boolean,
    readonly reason: string,
  ) {
    super(`bus error ${write ? 'writing' : 'reading'} ${hex(address)}: ${reason}`);
  }
}
