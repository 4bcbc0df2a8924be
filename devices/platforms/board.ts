/**
 * A board described as data (Bao's platform descriptions, Renode's .repl): memory regions,
 * device instances with their interrupt wiring, MMIO windows and bit-band aliases. The hypervisor
 * instantiates one copy of the board per guest.
 */

export type Permissions = 'rwx' | 'rw' | 'rx' | 'r';

export interface MemoryRegionSpec {
  readonly name: string;
  readonly base: number;
  readonly size: number;
  /** Further addresses where the same memory appears (mirrors). */
  readonly aliases?: readonly number[];
  readonly perms: Permissions;
  /** Regions whose size a guest may override in its system file. */
  readonly role?: 'code' | 'sram';
}

/** Interrupt outputs of a device → NVIC external interrupt number, or the NMI. */
export type IrqWiring = Readonly<Record<string, number | 'nmi'>>;

export interface DeviceSpec {
  readonly model: string;
  readonly name: string;
  readonly base: number;
  /** Size, for models whose size is not fixed (unimplemented regions). */
  readonly size?: number;
  readonly irq?: IrqWiring;
  /** Model-specific options (clock rates, IDs, ...). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** For UARTs: the transmit line feeds the guest's console. */
  readonly console?: boolean;
  /**
   * Lower-priority devices fill the gaps between other devices (QEMU's unimplemented-device
   * background regions); normal devices take precedence where they overlap.
   */
  readonly background?: boolean;
}

/** An address range trapped as MMIO; addresses in it that no device covers are bus errors. */
export interface MmioWindowSpec {
  readonly base: number;
  readonly size: number;
}

export interface BitBandSpec {
  /** Base of the 32 MiB alias region. */
  readonly alias: number;
  /** Base of the 1 MiB region whose bits it exposes. */
  readonly target: number;
}

export interface BoardDescription {
  readonly name: string;
  readonly cpu: 'cortex-m4';
  /** CPU clock in Hz. */
  readonly clockHz: number;
  readonly systickRefHz: number;
  readonly irqCount: number;
  readonly priorityBits: number;
  readonly memory: readonly MemoryRegionSpec[];
  readonly windows: readonly MmioWindowSpec[];
  readonly devices: readonly DeviceSpec[];
  readonly bitband: readonly BitBandSpec[];
}
