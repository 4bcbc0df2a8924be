/**
 * hv/io/layout.ts mirrors firmware/lib/hvlab-io.h: every #define the two share has the same
 * value, the fields of struct hv_io_call and struct hv_driver_interface come in the same order,
 * and the sizes agree with what the compiler made of the structs in the driver VM image. The
 * register offsets the header gives for the physical devices are the ones the device models use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLKCTL_CMD, BLKCTL_ERROR, BLKCTL_ID_VALUE, BLKCTL_REG, BLKCTL_SLOT_STRIDE, BLKCTL_STATUS, BlockController } from '../../devices/block-controller.ts';
import { HOSTUART_REG, HOSTUART_SLOT_STRIDE, HostConsoleUart } from '../../devices/host-console-uart.ts';
import { parseElf } from '../../hv/core/elf.ts';
import * as layout from '../../hv/io/layout.ts';
import type { BlockImage } from '../../hv/storage/block-image.ts';
import { SD_SPI } from '../../hv/storage/cache/disk-timing.ts';
import { FakeTime } from '../helpers/fake-time.ts';
import { FIRMWARE_DIR, imagePath } from '../helpers/run-system.ts';

const RAW_HEADER = readFileSync(join(FIRMWARE_DIR, 'lib/hvlab-io.h'), 'utf8');
const HEADER = RAW_HEADER.replace(/\/\*[\s\S]*?\*\//g, ' ');

/** #define NAME value, for every define whose value is a constant expression (u suffixes, shifts, parentheses). */
function defines(): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of HEADER.matchAll(/^#define\s+(\w+)\s+(.+?)\s*$/gm)) {
    const expr = m[2]!.replace(/(\d+|0x[0-9a-fA-F]+)u\b/g, '$1');
    if (!/^[\d\sxa-fA-F()<<\-+|]+$/.test(expr)) continue;
    out.set(m[1]!, Function(`"use strict"; return (${expr});`)() as number);
  }
  return out;
}

/** Field names of `struct name { ... };`, arrays expanded as [name, count]. */
function structFields(name: string): Array<{ type: string; field: string; count: string | undefined }> {
  const body = new RegExp(`struct ${name}\\s*\\{([^}]*)\\};`).exec(HEADER)?.[1];
  if (!body) throw new Error(`struct ${name} not found in hvlab-io.h`);
  return [...body.matchAll(/([\w ]+?)\s+(\w+)(?:\[(\w+)\])?;/g)].map((m) => ({ type: m[1]!.trim(), field: m[2]!, count: m[3] }));
}

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const D = defines();
const def = (name: string) => {
  const v = D.get(name);
  if (v === undefined) throw new Error(`${name} is not a constant #define in hvlab-io.h`);
  return v;
};

describe('constants', () => {
  it('every HV_ define has the same value in layout.ts (HV_SVC_* as HV_SVC.*)', () => {
    const names = [...D.keys()].filter((n) => n.startsWith('HV_'));
    expect(names.length).toBeGreaterThan(30);
    const ts = layout as unknown as Record<string, unknown>;
    const mismatches = names.flatMap((n) => {
      const svc = /^HV_SVC_(\w+)$/.exec(n);
      const value = svc ? (layout.HV_SVC as Record<string, number>)[svc[1]!] : ts[n];
      return value === D.get(n) ? [] : [`${n}: header ${D.get(n)}, layout.ts ${String(value)}`];
    });
    expect(mismatches).toEqual([]);
  });

  it('the addresses, IRQs and SVC numbers are the documented ones', () => {
    expect([layout.HV_VIRTIO_BLK_BASE, layout.HV_VIRTIO_CONSOLE_BASE, layout.HV_VIRTIO_BLK_IRQ, layout.HV_VIRTIO_CONSOLE_IRQ]).toEqual([0x40100000, 0x40100200, 14, 15]);
    expect([layout.HV_WINDOW_BASE, layout.HV_WINDOW_SIZE, layout.HV_INTERFACE_ADDR, layout.HV_CALL_RETURN_ADDR]).toEqual([0x60000000, 0x100000, 0x60000400, 0x6ffffff0]);
    expect([layout.HV_BLKCTL_BASE, layout.HV_HOSTUART_BASE, layout.HV_SLOT_STRIDE, layout.HV_BLKCTL_IRQ, layout.HV_EVTCHN_IRQ]).toEqual([0x40110000, 0x40118000, 0x100, 26, 25]);
    expect(layout.HV_SVC).toEqual({ GRANT_COPY_FROM: 0x40, GRANT_COPY_TO: 0x41, QUEUE_STATE: 0x42, READY: 0x43 });
    expect([layout.HV_GRANT_OK, layout.HV_GRANT_DENIED]).toEqual([0, -1]);
  });
});

describe('struct hv_io_call', () => {
  const fields = structFields('hv_io_call');
  const expanded = fields.flatMap((f) => {
    if (!f.count) return [camel(f.field)];
    return Array.from({ length: def(f.count) * 2 }, (_, i) => `${f.field}${i}`);
  });

  it('has only 32-bit words, and one array: ram[HV_MAX_RAM_RANGES] of {base, size}', () => {
    expect(fields.filter((f) => f.type !== 'uint32_t')).toEqual([{ type: 'struct hv_ram_range', field: 'ram', count: 'HV_MAX_RAM_RANGES' }]);
    expect(structFields('hv_ram_range')).toEqual([{ type: 'uint32_t', field: 'base', count: undefined }, { type: 'uint32_t', field: 'size', count: undefined }]);
  });

  it('layout.ts has the same fields in the same order, 4 bytes apart', () => {
    expect(Object.keys(layout.CALL_OFFSET)).toEqual(expanded);
    expect(expanded.map((f) => layout.CALL_OFFSET[f])).toEqual(expanded.map((_, i) => 4 * i));
  });

  it('CALL_SIZE is the size of the struct (124 bytes)', () => {
    expect(layout.CALL_SIZE).toBe(expanded.length * 4);
    expect(layout.CALL_SIZE).toBe(124);
  });

  it('encodeCall puts each value at its field offset and decodeCallResult reads them back', () => {
    const b = layout.encodeCall({
      mode: 1, device: 2, frontend: 3, queue: 4, queueSize: 8, desc: 0x20001000, avail: 0x20002000, used: 0x20003000,
      lastAvail: 9, usedIdx: 10, features: 0x200, ram: [{ base: 0x20000000, size: 0x400000 }, { base: 0x21000000, size: 0x1000000 }],
      blkSlot: 0x40110100, uartSlot: 0x40118100, unit: 5, capacity: 2 ** 32 + 7, channel: 3, result: 1, completed: 2, errors: 1, generation: 6,
    });
    const word = (field: string) => b.readUInt32LE(4 * expanded.indexOf(field));
    expect(word('magic')).toBe(def('HV_CALL_MAGIC'));
    expect([word('mode'), word('queueSize'), word('ramCount'), word('ram0'), word('ram1'), word('ram2'), word('ram3'), word('ram4')]).toEqual([1, 8, 2, 0x20000000, 0x400000, 0x21000000, 0x1000000, 0]);
    expect([word('blkSlot'), word('uartSlot'), word('unit'), word('capacityLo'), word('capacityHi'), word('channel'), word('generation')]).toEqual([0x40110100, 0x40118100, 5, 7, 1, 3, 6]);
    expect(layout.decodeCallResult(b)).toEqual({ magic: def('HV_CALL_MAGIC'), frontend: 3, device: 2, queue: 4, lastAvail: 9, usedIdx: 10, result: 1, completed: 2, errors: 1 });
  });
});

describe('struct hv_driver_interface and struct hv_mailbox', () => {
  it('layout.ts lists the interface fields in header order', () => {
    expect([...layout.INTERFACE_FIELDS]).toEqual(structFields('hv_driver_interface').map((f) => camel(f.field)));
    expect(layout.INTERFACE_SIZE).toBe(32);
  });

  it('the mailbox events follow head and tail', () => {
    expect(structFields('hv_mailbox').map((f) => [f.field, f.count])).toEqual([['head', undefined], ['tail', undefined], ['events', 'HV_MAILBOX_SLOTS']]);
    expect(layout.MAILBOX_EVENTS_OFFSET).toBe(8);
  });

  it('agree with the compiled driver VM: symbol sizes and the interface table it publishes', () => {
    const elf = parseElf(readFileSync(imagePath('driver-vm')), 'driver-vm.elf');
    const sym = (name: string) => {
      const s = elf.symbols.find((x) => x.name === name);
      if (!s) throw new Error(`no symbol ${name} in driver-vm.elf`);
      return s;
    };
    expect(sym('hv_calls').size).toBe(layout.CALL_SIZE * layout.HV_MAX_CORES);
    expect(sym('hv_mailbox').size).toBe(layout.MAILBOX_EVENTS_OFFSET + layout.CALL_SIZE * layout.HV_MAILBOX_SLOTS);
    expect(sym('hv_interface')).toMatchObject({ address: layout.HV_INTERFACE_ADDR, size: layout.INTERFACE_SIZE });
    const seg = elf.segments.find((s) => s.address <= layout.HV_INTERFACE_ADDR && layout.HV_INTERFACE_ADDR + 32 <= s.address + s.data.length)!;
    const table = Buffer.from(seg.data.buffer, seg.data.byteOffset + layout.HV_INTERFACE_ADDR - seg.address, layout.INTERFACE_SIZE);
    const value = Object.fromEntries(layout.INTERFACE_FIELDS.map((f, i) => [f, table.readUInt32LE(4 * i)]));
    expect(value).toMatchObject({
      magic: layout.HV_INTERFACE_MAGIC,
      version: layout.HV_INTERFACE_VERSION,
      calls: sym('hv_calls').address,
      mailbox: sym('hv_mailbox').address,
      blkNotify: sym('blk_notify').address | 1,
      consoleNotify: sym('console_notify').address | 1,
    });
    expect(value['stacksTop']).toBe(sym('hv_driver_stacks').address + sym('hv_driver_stacks').size);
    expect(value['stackSize']! * layout.HV_MAX_CORES).toBe(sym('hv_driver_stacks').size);
  });
});

describe('physical device registers', () => {
  const disk = { file: 'd', format: 'raw', size: 16 * 512, backing: null, readOnly: false, readSectors: (_s: number, n: number) => new Uint8Array(n * 512), writeSectors() {}, flush() {}, locate: () => ({}) as never, close() {} } as BlockImage;

  it('the header defines exactly the registers, commands and status bits the device models export', () => {
    const prefixed = (prefix: string, exclude: RegExp = /^$/) =>
      Object.fromEntries([...D].filter(([n]) => n.startsWith(prefix) && !exclude.test(n)).map(([n, v]) => [n.slice(prefix.length), v]));
    expect(prefixed('BLKCTL_', /^BLKCTL_(CMD_|STATUS_|ID_VALUE$)/)).toEqual(BLKCTL_REG);
    expect(prefixed('BLKCTL_CMD_')).toEqual(BLKCTL_CMD);
    expect(prefixed('BLKCTL_STATUS_')).toEqual(BLKCTL_STATUS);
    expect(prefixed('HOSTUART_')).toEqual(HOSTUART_REG);
    expect([BLKCTL_ID_VALUE, BLKCTL_SLOT_STRIDE, HOSTUART_SLOT_STRIDE]).toEqual([def('BLKCTL_ID_VALUE'), def('HV_SLOT_STRIDE'), def('HV_SLOT_STRIDE')]);
    // The error codes are documented in a comment beside BLKCTL_ERROR_CODE.
    expect(/BLKCTL_ERROR_CODE\(s\).*?\/\* 1 bad unit, 2 out of range, 3 DMA fault, 4 busy, 5 bad command \*\//.test(RAW_HEADER)).toBe(true);
    expect(BLKCTL_ERROR).toEqual({ BAD_UNIT: 1, RANGE: 2, DMA: 3, BUSY: 4, BAD_COMMAND: 5 });
  });

  it('the block controller answers at the header offsets with the header values', () => {
    const c = new BlockController('b', [disk, disk], SD_SPI, 2);
    c.bind(1, { time: new FakeTime(), dma: { read: () => new Uint8Array(512), write: () => true } });
    const slot = 1 * def('HV_SLOT_STRIDE');
    const r = (reg: string) => c.read(slot + def(reg), 4);
    const w = (reg: string, v: number) => c.write(slot + def(reg), 4, v);
    expect([r('BLKCTL_ID'), r('BLKCTL_UNITS'), r('BLKCTL_CAPACITY_LO'), r('BLKCTL_CAPACITY_HI')]).toEqual([def('BLKCTL_ID_VALUE'), 2, 16, 0]);
    w('BLKCTL_UNIT', 1);
    w('BLKCTL_SECTOR_LO', 3);
    w('BLKCTL_SECTOR_HI', 0);
    w('BLKCTL_COUNT', 2);
    w('BLKCTL_DMA_ADDR', 0x20000000);
    w('BLKCTL_INT_ENABLE', 1);
    expect([r('BLKCTL_UNIT'), r('BLKCTL_SECTOR_LO'), r('BLKCTL_COUNT'), r('BLKCTL_DMA_ADDR'), r('BLKCTL_INT_ENABLE')]).toEqual([1, 3, 2, 0x20000000, 1]);
    w('BLKCTL_COMMAND', def('BLKCTL_CMD_READ'));
    expect(r('BLKCTL_STATUS')).toBe(def('BLKCTL_STATUS_BUSY'));
    w('BLKCTL_SECTOR_LO', 15);
    c.write(def('BLKCTL_COMMAND'), 4, def('BLKCTL_CMD_FLUSH'));
    expect(c.read(def('BLKCTL_STATUS'), 4)).toBe(def('BLKCTL_STATUS_DONE') | def('BLKCTL_STATUS_ERROR') | (3 << 8));
  });

  it('the console UART answers at the header offsets', () => {
    const out: Array<[number, number]> = [];
    const u = new HostConsoleUart('u', 2, (c, b) => out.push([c, b]));
    u.write(def('HV_SLOT_STRIDE') + def('HOSTUART_CHANNEL'), 4, 4);
    u.write(def('HV_SLOT_STRIDE') + def('HOSTUART_DATA'), 4, 0x41);
    expect(u.read(def('HV_SLOT_STRIDE') + def('HOSTUART_CHANNEL'))).toBe(4);
    expect(u.read(def('HV_SLOT_STRIDE') + def('HOSTUART_STATE'))).toBe(0);
    expect(out).toEqual([[4, 0x41]]);
  });
});
