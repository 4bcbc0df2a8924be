/**
 * Every accept and reject rule of parseBlkRequest (hv/io/blk-request.ts), which the emulated path
 * applies and which must agree with the driver VM's C backend (firmware/driver-vm/backend-blk.c,
 * rules listed in firmware/README.md "Validation"): a structural problem without a usable status
 * byte is 'malformed' (the queue needs a reset), anything else wrong is answered IOERR, an
 * unknown type UNSUPP.
 */
import { describe, expect, it } from 'vitest';
import { type BlkLimits, parseBlkRequest } from '../../hv/io/blk-request.ts';
import type { Descriptor } from '../../hv/io/guest-queue.ts';

const RAM = { base: 0x20000000, size: 0x400000 };
const CAPACITY = 2048;
const limits: BlkLimits = {
  capacity: CAPACITY,
  inRam: (a, l) => a >= RAM.base && l >= 0 && a + l <= RAM.base + RAM.size,
};
const IOERR = 1;
const UNSUPP = 2;
const T = { IN: 0, OUT: 1, FLUSH: 4, GET_ID: 8 };

const ro = (address: number, length: number): Descriptor => ({ address, length, writable: false });
const rw = (address: number, length: number): Descriptor => ({ address, length, writable: true });
const HEADER = ro(0x20001000, 16);
const STATUS = rw(0x20001010, 1);

function header(type: number, sector = 0): Uint8Array {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(sector % 2 ** 32, 8);
  b.writeUInt32LE(Math.floor(sector / 2 ** 32), 12);
  return b;
}

function parse(chain: Descriptor[], type: number, sector = 0, l: BlkLimits = limits) {
  return parseBlkRequest(chain, header(type, sector), l);
}

function expectReject(result: ReturnType<typeof parse>, code = IOERR): void {
  expect(result.kind).toBe('reject');
  if (result.kind !== 'reject') return;
  expect(result.code).toBe(code);
  expect(result.status).toEqual(STATUS);
}

describe('accepted requests', () => {
  it('a read: header, device-writable data, status', () => {
    const data = rw(0x20002000, 1024);
    expect(parse([HEADER, data, STATUS], T.IN, 7)).toEqual({ kind: 'read', sector: 7, data: [data], status: STATUS });
  });

  it('a write: header, device-readable data, status', () => {
    const data = ro(0x20002000, 512);
    expect(parse([HEADER, data, STATUS], T.OUT, 3)).toEqual({ kind: 'write', sector: 3, data: [data], status: STATUS });
  });

  it('several data descriptors, exactly HV_VIRTIO_BLK_MAX_BYTES (64 KiB) in total', () => {
    const data = [rw(0x20010000, 32768), rw(0x20020000, 32768)];
    const r = parse([HEADER, ...data, STATUS], T.IN, 0);
    expect(r).toMatchObject({ kind: 'read', sector: 0, data });
  });

  it('the last sectors of the disk', () => {
    expect(parse([HEADER, rw(0x20002000, 1024), STATUS], T.IN, CAPACITY - 2).kind).toBe('read');
  });

  it('a 64-bit sector number (high header word) on a large disk', () => {
    const big: BlkLimits = { ...limits, capacity: 2 ** 33 };
    expect(parse([HEADER, ro(0x20002000, 512), STATUS], T.OUT, 2 ** 32 + 5, big)).toMatchObject({ kind: 'write', sector: 2 ** 32 + 5 });
  });

  it('a flush: header and status only (the sector field is ignored)', () => {
    expect(parse([HEADER, STATUS], T.FLUSH, 12345)).toEqual({ kind: 'flush', status: STATUS });
  });

  it('GET_ID: one device-writable buffer of 20 bytes or more', () => {
    const id = rw(0x20003000, 20);
    expect(parse([HEADER, id, STATUS], T.GET_ID)).toEqual({ kind: 'get-id', data: [id], status: STATUS });
    expect(parse([HEADER, rw(0x20003000, 64), STATUS], T.GET_ID).kind).toBe('get-id');
  });

  it('an unknown type is answered UNSUPP (its data is not checked)', () => {
    expectReject(parse([HEADER, rw(0x50000000, 3), STATUS], 7), UNSUPP);
    expectReject(parse([HEADER, STATUS], 0xffffffff), UNSUPP);
  });
});

describe('requests answered IOERR', () => {
  it('a header that is device-writable, not 16 bytes, or not in RAM', () => {
    const data = rw(0x20002000, 512);
    expectReject(parse([rw(0x20001000, 16), data, STATUS], T.IN));
    expectReject(parse([ro(0x20001000, 8), data, STATUS], T.IN));
    expectReject(parse([ro(0x20001000, 17), data, STATUS], T.IN));
    expectReject(parseBlkRequest([ro(0x30000000, 16), data, STATUS], undefined, limits));
  });

  it('a read or write without data', () => {
    expectReject(parse([HEADER, STATUS], T.IN));
    expectReject(parse([HEADER, STATUS], T.OUT));
  });

  it('data in the wrong direction', () => {
    expectReject(parse([HEADER, ro(0x20002000, 512), STATUS], T.IN));
    expectReject(parse([HEADER, rw(0x20002000, 512), STATUS], T.OUT));
    expectReject(parse([HEADER, rw(0x20002000, 512), ro(0x20003000, 512), STATUS], T.IN));
  });

  it('a data length that is not a multiple of 512', () => {
    expectReject(parse([HEADER, rw(0x20002000, 500), STATUS], T.IN));
    expectReject(parse([HEADER, ro(0x20002000, 512), ro(0x20003000, 513), STATUS], T.OUT));
  });

  it('a zero-length data descriptor next to a valid one (lengths must be nonzero multiples of 512)', () => {
    expectReject(parse([HEADER, rw(0x20002000, 512), rw(0x20003000, 0), STATUS], T.IN));
  });

  it('more than 64 KiB of data', () => {
    expectReject(parse([HEADER, rw(0x20010000, 65536), rw(0x20020000, 512), STATUS], T.IN));
    expectReject(parse([HEADER, ro(0x20010000, 65536 + 512), STATUS], T.OUT));
  });

  it('sectors beyond the disk', () => {
    expectReject(parse([HEADER, rw(0x20002000, 1024), STATUS], T.IN, CAPACITY - 1));
    expectReject(parse([HEADER, ro(0x20002000, 512), STATUS], T.OUT, CAPACITY));
    expectReject(parse([HEADER, ro(0x20002000, 512), STATUS], T.OUT, 2 ** 32));
  });

  it('a data buffer outside the guest RAM (or straddling its end)', () => {
    expectReject(parse([HEADER, rw(0x30000000, 512), STATUS], T.IN));
    expectReject(parse([HEADER, rw(0x60000000, 512), STATUS], T.IN));
    expectReject(parse([HEADER, ro(RAM.base + RAM.size - 256, 512), STATUS], T.OUT));
    expectReject(parse([HEADER, rw(0xffffffff, 512), STATUS], T.IN));
  });

  it('a flush with data', () => {
    expectReject(parse([HEADER, ro(0x20002000, 512), STATUS], T.FLUSH));
  });

  it('GET_ID with no buffer, two buffers, a device-readable buffer or one outside RAM', () => {
    expectReject(parse([HEADER, STATUS], T.GET_ID));
    expectReject(parse([HEADER, rw(0x20003000, 20), rw(0x20004000, 20), STATUS], T.GET_ID));
    expectReject(parse([HEADER, ro(0x20003000, 20), STATUS], T.GET_ID));
    expectReject(parse([HEADER, rw(0x30000000, 20), STATUS], T.GET_ID));
  });

  it('GET_ID with a buffer shorter than the 20-byte ID (the driver VM answers IOERR)', () => {
    expectReject(parse([HEADER, rw(0x20003000, 10), STATUS], T.GET_ID));
  });

  it('a chain that is only a status byte (there is a status to answer in, but no header)', () => {
    expectReject(parseBlkRequest([STATUS], undefined, limits));
  });
});

describe('malformed requests (no usable status byte: the queue needs a reset)', () => {
  it.each([
    ['an empty chain', []],
    ['a device-readable status', [HEADER, rw(0x20002000, 512), ro(0x20001010, 1)]],
    ['a zero-length status', [HEADER, rw(0x20002000, 512), rw(0x20001010, 0)]],
    ['a status outside RAM', [HEADER, rw(0x20002000, 512), rw(0x60000000, 1)]],
    ['a status at an unusable (64-bit) address', [HEADER, rw(0x20002000, 512), rw(0xffffffff, 1)]],
  ])('%s', (_what, chain) => {
    expect(parse(chain as Descriptor[], T.IN).kind).toBe('malformed');
  });

  it('a status descriptor longer than one byte (the driver VM requires exactly 1)', () => {
    expect(parse([HEADER, rw(0x20002000, 512), rw(0x20001010, 2)], T.IN).kind).toBe('malformed');
  });
});
