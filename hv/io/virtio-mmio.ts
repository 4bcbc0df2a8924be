/**
 * The virtio-mmio transport (virtio 1.2 §4.2.2, version 2 registers) that every guest with an
 * I/O path sees for its virtio-blk and virtio-console devices. The hypervisor owns the register
 * state (feature negotiation, device status, queue configuration, interrupt status); a queue
 * notification goes to the guest's I/O path, which processes the queue and reports completions
 * back through {@link complete}. The interrupt is level-sensitive: the NVIC line follows
 * InterruptStatus, as on platforms that wire virtio-mmio to a level interrupt.
 *
 * Writes to read-only registers and reads of write-only ones are counted (guest errors) and
 * otherwise ignored.
 */
import type { MmioDevice } from '../trap/mmio.ts';

/** Register offsets (virtio 1.2 §4.2.2, MMIO Device Register Layout); from CONFIG on, the device's configuration space. */
export const VIRTIO_MMIO_REG = {
  MAGIC_VALUE: 0x000,
  VERSION: 0x004,
  DEVICE_ID: 0x008,
  VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010,
  DEVICE_FEATURES_SEL: 0x014,
  DRIVER_FEATURES: 0x020,
  DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030,
  QUEUE_NUM_MAX: 0x034,
  QUEUE_NUM: 0x038,
  QUEUE_READY: 0x044,
  QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060,
  INTERRUPT_ACK: 0x064,
  STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_DRIVER_LOW: 0x090,
  QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0,
  QUEUE_DEVICE_HIGH: 0x0a4,
  CONFIG_GENERATION: 0x0fc,
  CONFIG: 0x100,
} as const;
const R = VIRTIO_MMIO_REG;
/** The register layout version this transport implements (the non-legacy interface). */
const VERSION_2 = 2;

/** "virt" and "hvlb", little-endian. */
const VIRTIO_MAGIC = 0x74726976;
const VIRTIO_VENDOR_HVLAB = 0x626c7668;
export const VIRTIO_ID = { BLOCK: 2, CONSOLE: 3 } as const;
export const STATUS = { ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, NEEDS_RESET: 64, FAILED: 128 } as const;
/** InterruptStatus bits: used buffer notification, configuration change notification. */
const INT_USED = 1;
const INT_CONFIG = 2;
/** VIRTIO_F_VERSION_1 (feature bit 32). */
export const F_VERSION_1 = 2n ** 32n;

export interface QueueState {
  num: number;
  ready: boolean;
  desc: number;
  driver: number;
  device: number;
  /** High address words written by the guest (must be 0: the board has 32-bit addresses). */
  high: number;
  /** Next available-ring index the device will take. */
  lastAvail: number;
  /** The device's used-ring index. */
  usedIdx: number;
  /** Bumped whenever the queue is (re)configured or the device is reset. */
  generation: number;
}

/** What a device type contributes: features, queues, configuration space. */
export interface VirtioDeviceType {
  readonly deviceId: number;
  readonly features: bigint;
  readonly queueCount: number;
  readonly queueMax: number;
  configRead(offset: number, size: number): number;
}

export interface TransportEvents {
  /** The guest notified `queue` of `transport` (device ready, queue ready). */
  notify(transport: VirtioTransport, queue: number): void;
  /** The guest reset the device. */
  reset(transport: VirtioTransport): void;
  /** InterruptStatus changed; the line level is `high`. */
  irq(high: boolean): void;
  /** Any register access (each one is a trap). */
  access?(): void;
}

interface TransportState {
  readonly registers: Record<string, number | bigint>;
  readonly queues: readonly QueueState[];
}

export class VirtioTransport implements MmioDevice {
  readonly model = 'virtio-mmio';
  /** The registers and a 256-byte configuration space. */
  readonly size = 0x200;
  readonly queues: QueueState[];
  status = 0;
  interruptStatus = 0;
  driverFeatures = 0n;
  guestErrors = 0;
  notifications = 0;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private queueSel = 0;
  private configGeneration = 0;

  constructor(
    readonly name: string,
    readonly type: VirtioDeviceType,
    private readonly events: TransportEvents,
  ) {
    this.queues = Array.from({ length: type.queueCount }, () => freshQueue(0));
  }

  get deviceId(): number {
    return this.type.deviceId;
  }

  reset(): void {
    this.status = 0;
    this.interruptStatus = 0;
    this.driverFeatures = 0n;
    this.deviceFeaturesSel = 0;
    this.driverFeaturesSel = 0;
    this.queueSel = 0;
    this.queues.forEach((q, i) => (this.queues[i] = freshQueue(q.generation + 1)));
    this.events.irq(false);
  }

  /** Registers, queues and counters (a checkpoint; the interrupt line's level is the vCPU's). */
  saveState(): TransportState {
    const { status, interruptStatus, driverFeatures, guestErrors, notifications, deviceFeaturesSel, driverFeaturesSel, queueSel, configGeneration } = this;
    const registers = { status, interruptStatus, driverFeatures, guestErrors, notifications, deviceFeaturesSel, driverFeaturesSel, queueSel, configGeneration };
    return { registers, queues: this.queues.map((q) => ({ ...q })) };
  }

  restoreState(state: unknown): void {
    const s = state as TransportState;
    Object.assign(this, s.registers);
    s.queues.forEach((q, i) => (this.queues[i] = { ...q }));
    this.events.irq(this.interruptStatus !== 0);
  }

  /** Negotiated features, low word (what the driver accepted of bits 0-31). */
  get featuresLow(): number {
    return Number(this.driverFeatures & 0xffffffffn);
  }

  /** The backend's view of queue `index` after it served it (the driver VM keeps its own copy). */
  syncQueue(index: number, state: { lastAvail: number; usedIdx: number }): void {
    const q = this.queues[index];
    if (!q) return;
    q.lastAvail = state.lastAvail;
    q.usedIdx = state.usedIdx;
  }

  /** The device has used buffers: raise the used-buffer interrupt. */
  complete(): void {
    this.raise(INT_USED);
  }

  /** The device found the queue corrupt (virtio 1.2 §2.1.2): DEVICE_NEEDS_RESET and a config interrupt. */
  needsReset(): void {
    this.status |= STATUS.NEEDS_RESET;
    this.raise(INT_CONFIG);
  }

  /** True when queue `index` may be processed (driver ready, queue ready, device healthy). */
  private queueUsable(index: number): boolean {
    const q = this.queues[index];
    return !!q && q.ready && (this.status & STATUS.DRIVER_OK) !== 0 && (this.status & STATUS.NEEDS_RESET) === 0;
  }

  read(offset: number, size: number): number {
    this.events.access?.();
    if (offset >= R.CONFIG) return this.type.configRead(offset - R.CONFIG, size);
    const q = this.queues[this.queueSel];
    switch (offset) {
      case R.MAGIC_VALUE: return VIRTIO_MAGIC;
      case R.VERSION: return VERSION_2;
      case R.DEVICE_ID: return this.type.deviceId;
      case R.VENDOR_ID: return VIRTIO_VENDOR_HVLAB;
      case R.DEVICE_FEATURES: return this.featureWord(this.type.features, this.deviceFeaturesSel);
      case R.QUEUE_NUM_MAX: return q ? this.type.queueMax : 0;
      case R.QUEUE_READY: return q?.ready ? 1 : 0;
      case R.INTERRUPT_STATUS: return this.interruptStatus;
      case R.STATUS: return this.status;
      case R.CONFIG_GENERATION: return this.configGeneration;
      default:
        this.guestErrors++;
        return 0;
    }
  }

  write(offset: number, size: number, value: number): void {
    void size;
    this.events.access?.();
    switch (offset) {
      case R.DEVICE_FEATURES_SEL: this.deviceFeaturesSel = value; return;
      case R.DRIVER_FEATURES: return this.writeDriverFeatures(value >>> 0);
      case R.DRIVER_FEATURES_SEL: this.driverFeaturesSel = value; return;
      case R.QUEUE_SEL: this.queueSel = value; return;
      case R.QUEUE_NUM: return this.withQueue((q) => (q.num = value));
      case R.QUEUE_READY: return this.withQueue((q) => this.setReady(q, value & 1));
      case R.QUEUE_NOTIFY: return this.notify(value);
      case R.INTERRUPT_ACK:
        this.interruptStatus &= ~(value & (INT_USED | INT_CONFIG));
        return this.events.irq(this.interruptStatus !== 0);
      case R.STATUS: return this.writeStatus(value & 0xff);
      case R.QUEUE_DESC_LOW: return this.withQueue((q) => (q.desc = value >>> 0));
      case R.QUEUE_DRIVER_LOW: return this.withQueue((q) => (q.driver = value >>> 0));
      case R.QUEUE_DEVICE_LOW: return this.withQueue((q) => (q.device = value >>> 0));
      case R.QUEUE_DESC_HIGH:
      case R.QUEUE_DRIVER_HIGH:
      case R.QUEUE_DEVICE_HIGH: return this.withQueue((q) => (q.high |= value >>> 0));
      default:
        this.guestErrors++;
    }
  }

  private featureWord(features: bigint, sel: number): number {
    if (sel > 1) return 0;
    return Number((features >> BigInt(32 * sel)) & 0xffffffffn);
  }

  private writeDriverFeatures(value: number): void {
    if (this.status & STATUS.FEATURES_OK || this.driverFeaturesSel > 1) return void this.guestErrors++;
    const shift = BigInt(32 * this.driverFeaturesSel);
    this.driverFeatures = (this.driverFeatures & ~(0xffffffffn << shift)) | (BigInt(value) << shift);
  }

  /** Queue registers can change only while the queue is not ready (virtio 1.2 §4.2.3.2). */
  private withQueue(change: (q: QueueState) => void): void {
    const q = this.queues[this.queueSel];
    if (!q || q.ready) return void this.guestErrors++;
    change(q);
  }

  private setReady(q: QueueState, ready: number): void {
    if (!ready) return;
    const valid = q.num > 0 && q.num <= this.type.queueMax && (q.num & (q.num - 1)) === 0 && q.high === 0;
    if (!valid) return void this.guestErrors++;
    q.ready = true;
    q.lastAvail = 0;
    q.usedIdx = 0;
    q.generation++;
  }

  private writeStatus(value: number): void {
    if (value === 0) {
      this.reset();
      this.events.reset(this);
      return;
    }
    if (value & STATUS.FEATURES_OK && !(this.status & STATUS.FEATURES_OK) && !this.featuresAcceptable()) {
      value &= ~STATUS.FEATURES_OK;
    }
    // The driver may only add bits (virtio 1.2 §2.1.1); DEVICE_NEEDS_RESET is the device's.
    this.status = (this.status | value) & ~(~this.status & STATUS.NEEDS_RESET);
  }

  private featuresAcceptable(): boolean {
    const subset = (this.driverFeatures & ~this.type.features) === 0n;
    return subset && (this.driverFeatures & F_VERSION_1) !== 0n;
  }

  private notify(value: number): void {
    this.notifications++;
    const queue = value & 0xffff;
    if (!this.queueUsable(queue)) return;
    this.events.notify(this, queue);
  }

  private raise(bits: number): void {
    this.interruptStatus |= bits;
    this.events.irq(true);
  }
}

function freshQueue(generation: number): QueueState {
  return { num: 0, ready: false, desc: 0, driver: 0, device: 0, high: 0, lastAvail: 0, usedIdx: 0, generation };
}
