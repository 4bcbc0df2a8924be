/**
 * The virtio-mmio transport (virtio 1.2 §4.2.2, version 2) as the hypervisor models it: identity
 * registers, feature negotiation, device status, queue configuration, notifications, interrupt
 * status and the level of the interrupt line, and the virtio-blk configuration space.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { virtioBlockType, virtioConsoleType } from '../../hv/io/virtio-devices.ts';
import { STATUS, type TransportEvents, VIRTIO_MMIO_REG, VirtioTransport } from '../../hv/io/virtio-mmio.ts';

const R = VIRTIO_MMIO_REG;
const { ACKNOWLEDGE: ACK, DRIVER, DRIVER_OK, FEATURES_OK, NEEDS_RESET } = STATUS;
const F_FLUSH_LOW = 1 << 9;

interface Log {
  notified: number[];
  resets: number;
  irq: boolean[];
  accesses: number;
}

function makeBlk(sectors = 2048): { t: VirtioTransport; log: Log } {
  const log: Log = { notified: [], resets: 0, irq: [], accesses: 0 };
  const events: TransportEvents = {
    notify: (_t, q) => log.notified.push(q),
    reset: () => log.resets++,
    irq: (high) => log.irq.push(high),
    access: () => log.accesses++,
  };
  return { t: new VirtioTransport('g.virtio-blk', virtioBlockType(sectors), events), log };
}

/** Feature negotiation as a driver does it: VERSION_1 (+ `low` bits 0-31). */
function negotiate(t: VirtioTransport, low = 0, high = 1): number {
  t.write(R.STATUS, 4, ACK);
  t.write(R.STATUS, 4, ACK | DRIVER);
  t.write(R.DRIVER_FEATURES_SEL, 4, 0);
  t.write(R.DRIVER_FEATURES, 4, low);
  t.write(R.DRIVER_FEATURES_SEL, 4, 1);
  t.write(R.DRIVER_FEATURES, 4, high);
  t.write(R.STATUS, 4, ACK | DRIVER | FEATURES_OK);
  return t.read(R.STATUS, 4);
}

function setupQueue(t: VirtioTransport, num = 8): void {
  t.write(R.QUEUE_SEL, 4, 0);
  t.write(R.QUEUE_NUM, 4, num);
  t.write(R.QUEUE_DESC_LOW, 4, 0x20001000);
  t.write(R.QUEUE_DRIVER_LOW, 4, 0x20002000);
  t.write(R.QUEUE_DEVICE_LOW, 4, 0x20003000);
  t.write(R.QUEUE_READY, 4, 1);
}

function bringUp(t: VirtioTransport): void {
  negotiate(t, F_FLUSH_LOW);
  setupQueue(t);
  t.write(R.STATUS, 4, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
}

describe('identity registers', () => {
  it('has the virtio 1.2 register layout and device status bits', () => {
    expect(STATUS).toEqual({ ACKNOWLEDGE: 1, DRIVER: 2, DRIVER_OK: 4, FEATURES_OK: 8, NEEDS_RESET: 64, FAILED: 128 });
    expect(R).toEqual({
      MAGIC_VALUE: 0x000, VERSION: 0x004, DEVICE_ID: 0x008, VENDOR_ID: 0x00c,
      DEVICE_FEATURES: 0x010, DEVICE_FEATURES_SEL: 0x014, DRIVER_FEATURES: 0x020, DRIVER_FEATURES_SEL: 0x024,
      QUEUE_SEL: 0x030, QUEUE_NUM_MAX: 0x034, QUEUE_NUM: 0x038, QUEUE_READY: 0x044, QUEUE_NOTIFY: 0x050,
      INTERRUPT_STATUS: 0x060, INTERRUPT_ACK: 0x064, STATUS: 0x070,
      QUEUE_DESC_LOW: 0x080, QUEUE_DESC_HIGH: 0x084, QUEUE_DRIVER_LOW: 0x090, QUEUE_DRIVER_HIGH: 0x094,
      QUEUE_DEVICE_LOW: 0x0a0, QUEUE_DEVICE_HIGH: 0x0a4, CONFIG_GENERATION: 0x0fc, CONFIG: 0x100,
    });
  });

  it('reads magic "virt", version 2, the device id and the hvlab vendor id', () => {
    const { t } = makeBlk();
    expect(t.read(R.MAGIC_VALUE, 4)).toBe(0x74726976);
    expect(t.read(R.VERSION, 4)).toBe(2);
    expect(t.read(R.DEVICE_ID, 4)).toBe(2);
    expect(t.read(R.VENDOR_ID, 4)).toBe(0x626c7668);
    const console = new VirtioTransport('g.virtio-console', virtioConsoleType(), { notify() {}, reset() {}, irq() {} });
    expect(console.read(R.DEVICE_ID, 4)).toBe(3);
    expect(console.read(R.CONFIG, 4)).toBe(0);
    expect(t.guestErrors).toBe(0);
  });

  it('offers VERSION_1 (bit 32) and FLUSH (bit 9) through DeviceFeaturesSel', () => {
    const { t } = makeBlk();
    t.write(R.DEVICE_FEATURES_SEL, 4, 0);
    expect(t.read(R.DEVICE_FEATURES, 4)).toBe(F_FLUSH_LOW);
    t.write(R.DEVICE_FEATURES_SEL, 4, 1);
    expect(t.read(R.DEVICE_FEATURES, 4)).toBe(1);
    t.write(R.DEVICE_FEATURES_SEL, 4, 2);
    expect(t.read(R.DEVICE_FEATURES, 4)).toBe(0);
  });

  it('counts every register access as a trap', () => {
    const { t, log } = makeBlk();
    t.read(R.MAGIC_VALUE, 4);
    t.write(R.STATUS, 4, ACK);
    t.read(R.CONFIG, 4);
    expect(log.accesses).toBe(3);
  });
});

describe('feature negotiation', () => {
  it('accepts a subset of the offered features that includes VERSION_1', () => {
    const { t } = makeBlk();
    expect(negotiate(t, F_FLUSH_LOW)).toBe(ACK | DRIVER | FEATURES_OK);
    expect(t.featuresLow).toBe(F_FLUSH_LOW);
    expect(t.driverFeatures).toBe((1n << 32n) | BigInt(F_FLUSH_LOW));
  });

  it('refuses FEATURES_OK without VERSION_1', () => {
    const { t } = makeBlk();
    expect(negotiate(t, F_FLUSH_LOW, 0)).toBe(ACK | DRIVER);
  });

  it('refuses FEATURES_OK with a feature that was not offered (low or high word)', () => {
    const a = makeBlk().t;
    expect(negotiate(a, F_FLUSH_LOW | (1 << 28))).toBe(ACK | DRIVER);
    const b = makeBlk().t;
    expect(negotiate(b, 0, 1 | 2)).toBe(ACK | DRIVER);
  });

  it('ignores (and counts) DriverFeatures writes after FEATURES_OK and beyond word 1', () => {
    const { t } = makeBlk();
    negotiate(t, F_FLUSH_LOW);
    t.write(R.DRIVER_FEATURES_SEL, 4, 0);
    t.write(R.DRIVER_FEATURES, 4, 0);
    expect(t.featuresLow).toBe(F_FLUSH_LOW);
    expect(t.guestErrors).toBe(1);
    const fresh = makeBlk().t;
    fresh.write(R.DRIVER_FEATURES_SEL, 4, 2);
    fresh.write(R.DRIVER_FEATURES, 4, 0xffffffff);
    expect(fresh.driverFeatures).toBe(0n);
    expect(fresh.guestErrors).toBe(1);
  });
});

describe('queue configuration', () => {
  let t: VirtioTransport;
  beforeEach(() => {
    t = makeBlk().t;
    negotiate(t, F_FLUSH_LOW);
  });

  it('takes QueueNum and the three addresses while the queue is not ready; QueueNumMax is 16', () => {
    t.write(R.QUEUE_SEL, 4, 0);
    expect(t.read(R.QUEUE_NUM_MAX, 4)).toBe(16);
    expect(t.read(R.QUEUE_READY, 4)).toBe(0);
    setupQueue(t, 8);
    expect(t.read(R.QUEUE_READY, 4)).toBe(1);
    expect(t.queues[0]).toMatchObject({ num: 8, ready: true, desc: 0x20001000, driver: 0x20002000, device: 0x20003000, high: 0, lastAvail: 0, usedIdx: 0 });
    expect(t.guestErrors).toBe(0);
  });

  it('ignores (and counts) queue register writes once the queue is ready', () => {
    setupQueue(t, 8);
    const before = { ...t.queues[0]! };
    t.write(R.QUEUE_NUM, 4, 4);
    t.write(R.QUEUE_DESC_LOW, 4, 0x20005000);
    t.write(R.QUEUE_DRIVER_LOW, 4, 0x20006000);
    t.write(R.QUEUE_DEVICE_LOW, 4, 0x20007000);
    t.write(R.QUEUE_DESC_HIGH, 4, 1);
    t.write(R.QUEUE_READY, 4, 0);
    expect(t.queues[0]).toEqual(before);
    expect(t.guestErrors).toBe(6);
  });

  it('a queue index the device does not have reads QueueNumMax 0 and takes no configuration', () => {
    t.write(R.QUEUE_SEL, 4, 1);
    expect(t.read(R.QUEUE_NUM_MAX, 4)).toBe(0);
    t.write(R.QUEUE_NUM, 4, 8);
    t.write(R.QUEUE_READY, 4, 1);
    expect(t.read(R.QUEUE_READY, 4)).toBe(0);
    expect(t.queues).toHaveLength(1);
    expect(t.guestErrors).toBe(2);
  });

  it.each([
    ['zero', 0],
    ['not a power of two', 12],
    ['above QueueNumMax', 32],
  ])('QueueReady is refused for a QueueNum that is %s', (_what, num) => {
    t.write(R.QUEUE_SEL, 4, 0);
    t.write(R.QUEUE_NUM, 4, num);
    t.write(R.QUEUE_READY, 4, 1);
    expect(t.read(R.QUEUE_READY, 4)).toBe(0);
    expect(t.guestErrors).toBe(1);
  });

  it.each([R.QUEUE_DESC_HIGH, R.QUEUE_DRIVER_HIGH, R.QUEUE_DEVICE_HIGH])('QueueReady is refused when high address word 0x%s is not 0', (reg) => {
    t.write(R.QUEUE_SEL, 4, 0);
    t.write(R.QUEUE_NUM, 4, 16);
    t.write(reg, 4, 1);
    t.write(R.QUEUE_READY, 4, 1);
    expect(t.read(R.QUEUE_READY, 4)).toBe(0);
  });

  it('QueueReady accepts 1 and 16, restarts the ring indices and bumps the generation', () => {
    for (const num of [1, 16]) {
      const fresh = makeBlk().t;
      const generation = fresh.queues[0]!.generation;
      fresh.write(R.QUEUE_NUM, 4, num);
      fresh.write(R.QUEUE_READY, 4, 1);
      expect(fresh.queues[0]).toMatchObject({ ready: true, num, lastAvail: 0, usedIdx: 0, generation: generation + 1 });
    }
  });
});

describe('notifications', () => {
  it('are forwarded only when DRIVER_OK is set and the queue is ready', () => {
    const { t, log } = makeBlk();
    negotiate(t, F_FLUSH_LOW);
    t.write(R.QUEUE_NOTIFY, 4, 0);
    setupQueue(t);
    t.write(R.QUEUE_NOTIFY, 4, 0);
    expect(log.notified).toEqual([]);
    t.write(R.STATUS, 4, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    t.write(R.QUEUE_NOTIFY, 4, 0);
    expect(log.notified).toEqual([0]);
    expect(t.notifications).toBe(3);
  });

  it('are not forwarded for a queue the device does not have', () => {
    const { t, log } = makeBlk();
    bringUp(t);
    t.write(R.QUEUE_NOTIFY, 4, 1);
    t.write(R.QUEUE_NOTIFY, 4, 0x10001);
    expect(log.notified).toEqual([]);
  });

  it('are not forwarded once the device needs a reset, and are again after a reset and re-initialisation', () => {
    const { t, log } = makeBlk();
    bringUp(t);
    t.needsReset();
    t.write(R.QUEUE_NOTIFY, 4, 0);
    expect(log.notified).toEqual([]);
    t.write(R.STATUS, 4, 0);
    bringUp(t);
    t.write(R.QUEUE_NOTIFY, 4, 0);
    expect(log.notified).toEqual([0]);
  });
});

describe('interrupts', () => {
  it('a completion sets the used-buffer bit and raises the line; acknowledging it lowers the line', () => {
    const { t, log } = makeBlk();
    bringUp(t);
    t.complete();
    expect(t.read(R.INTERRUPT_STATUS, 4)).toBe(1);
    expect(log.irq.at(-1)).toBe(true);
    t.write(R.INTERRUPT_ACK, 4, 1);
    expect(t.read(R.INTERRUPT_STATUS, 4)).toBe(0);
    expect(log.irq.at(-1)).toBe(false);
  });

  it('needs-reset sets DEVICE_NEEDS_RESET and the configuration-change bit; the line stays up until both bits are acknowledged', () => {
    const { t, log } = makeBlk();
    bringUp(t);
    t.complete();
    t.needsReset();
    expect(t.read(R.STATUS, 4) & NEEDS_RESET).toBe(NEEDS_RESET);
    expect(t.read(R.INTERRUPT_STATUS, 4)).toBe(3);
    t.write(R.INTERRUPT_ACK, 4, 1);
    expect(t.read(R.INTERRUPT_STATUS, 4)).toBe(2);
    expect(log.irq.at(-1)).toBe(true);
    t.write(R.INTERRUPT_ACK, 4, 2 | 0xfc);
    expect(t.read(R.INTERRUPT_STATUS, 4)).toBe(0);
    expect(log.irq.at(-1)).toBe(false);
  });
});

describe('device status', () => {
  it('the driver only adds bits', () => {
    const { t } = makeBlk();
    t.write(R.STATUS, 4, ACK);
    t.write(R.STATUS, 4, DRIVER);
    expect(t.read(R.STATUS, 4)).toBe(ACK | DRIVER);
  });

  it('writing 0 resets the device: status, interrupts, features and queues, with new queue generations', () => {
    const { t, log } = makeBlk();
    bringUp(t);
    t.complete();
    const generation = t.queues[0]!.generation;
    t.write(R.STATUS, 4, 0);
    expect(t.read(R.STATUS, 4)).toBe(0);
    expect(t.read(R.INTERRUPT_STATUS, 4)).toBe(0);
    expect(log.irq.at(-1)).toBe(false);
    expect(t.driverFeatures).toBe(0n);
    expect(t.queues[0]).toMatchObject({ ready: false, num: 0, desc: 0, driver: 0, device: 0, high: 0 });
    expect(t.queues[0]!.generation).toBeGreaterThan(generation);
    expect(log.resets).toBe(1);
  });

  it('DEVICE_NEEDS_RESET cannot be set by the driver, nor cleared except by a reset', () => {
    const { t } = makeBlk();
    bringUp(t);
    t.write(R.STATUS, 4, ACK | DRIVER | FEATURES_OK | DRIVER_OK | NEEDS_RESET);
    expect(t.read(R.STATUS, 4) & NEEDS_RESET).toBe(0);
    t.needsReset();
    t.write(R.STATUS, 4, ACK | DRIVER | FEATURES_OK | DRIVER_OK);
    expect(t.read(R.STATUS, 4) & NEEDS_RESET).toBe(NEEDS_RESET);
  });
});

describe('read-only and write-only registers', () => {
  it('writes to read-only registers are ignored and counted', () => {
    const { t } = makeBlk(4096);
    bringUp(t);
    t.complete();
    const ro = [R.MAGIC_VALUE, R.VERSION, R.DEVICE_ID, R.VENDOR_ID, R.DEVICE_FEATURES, R.QUEUE_NUM_MAX, R.INTERRUPT_STATUS, R.CONFIG_GENERATION, R.CONFIG, R.CONFIG + 4];
    const before = ro.map((r) => t.read(r, 4));
    const errors = t.guestErrors;
    for (const r of ro) t.write(r, 4, ~t.read(r, 4) >>> 0);
    expect(t.guestErrors - errors).toBe(ro.length);
    expect(ro.map((r) => t.read(r, 4))).toEqual(before);
    expect(before.slice(-2)).toEqual([4096, 0]);
  });

  it('reads of write-only registers return 0 and are counted', () => {
    const { t } = makeBlk();
    bringUp(t);
    const wo = [R.DEVICE_FEATURES_SEL, R.DRIVER_FEATURES, R.DRIVER_FEATURES_SEL, R.QUEUE_SEL, R.QUEUE_NUM, R.QUEUE_NOTIFY, R.INTERRUPT_ACK, R.QUEUE_DESC_LOW];
    expect(wo.map((r) => t.read(r, 4))).toEqual(wo.map(() => 0));
    expect(t.guestErrors).toBe(wo.length);
  });
});

describe('virtio-blk configuration space', () => {
  it('is the 64-bit capacity in sectors, little-endian, readable by byte, half-word and word', () => {
    const { t } = makeBlk(2 ** 32 + 0x1234);
    expect(t.read(R.CONFIG, 4)).toBe(0x1234);
    expect(t.read(R.CONFIG + 4, 4)).toBe(1);
    expect(t.read(R.CONFIG, 1)).toBe(0x34);
    expect(t.read(R.CONFIG + 1, 1)).toBe(0x12);
    expect(t.read(R.CONFIG, 2)).toBe(0x1234);
    expect(t.read(R.CONFIG + 8, 4)).toBe(0);
    expect(makeBlk(2048).t.read(R.CONFIG, 4)).toBe(2048);
  });
});
