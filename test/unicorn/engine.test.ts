import { afterEach, describe, expect, it } from 'vitest';
import { UnicornError } from '../../hv/errors.ts';
import { ARM_REG, UC_ERR, UC_HOOK, UC_PROT } from '../../hv/unicorn/constants.ts';
import { Engine } from '../../hv/unicorn/engine.ts';
import { HostMemory } from '../../hv/unicorn/host-memory.ts';
import { T, repeat, thumb } from '../helpers/thumb.ts';

let engine: Engine | undefined;

function open(code: Buffer): Engine {
  engine = Engine.open();
  engine.mapMemory(0, 0x10000, UC_PROT.ALL);
  engine.mapMemory(0x20000000, 0x10000, UC_PROT.READ | UC_PROT.WRITE);
  engine.writeMemory(0, code);
  engine.writeRegister(ARM_REG.SP, 0x20001000);
  return engine;
}

afterEach(() => {
  engine?.close();
  engine = undefined;
});

describe('Engine', () => {
  it('reads back memory and registers, single and batched', () => {
    const e = open(thumb(T.nop));
    e.writeMemory(0x20000010, Buffer.from([1, 2, 3, 4]));
    expect([...e.readMemory(0x20000010, 4)]).toEqual([1, 2, 3, 4]);
    e.writeRegister(ARM_REG.R5, 0xdeadbeef);
    expect(e.readRegister(ARM_REG.R5)).toBe(0xdeadbeef);
    const batch = e.registerBatch([ARM_REG.R0, ARM_REG.R1, ARM_REG.R2]);
    batch.write([7, 8, 0xffffffff]);
    expect(batch.read()).toEqual([7, 8, 0xffffffff]);
    expect(e.readRegister(ARM_REG.R2)).toBe(0xffffffff);
  });

  it('knows the PC between runs as a register read gives it: after single and batched writes and mode changes', () => {
    const e = open(thumb(T.nop, T.nop, T.nop, T.nop));
    const same = () => expect(e.readPc()).toBe(e.readRegister(ARM_REG.PC));
    e.writeRegister(ARM_REG.PC, 0x103); // Unicorn keeps it without the Thumb bit
    expect(e.readPc()).toBe(0x102);
    same();
    e.registerBatch([ARM_REG.LR, ARM_REG.PC]).write([0xfffffff9, 0x201]);
    expect(e.readPc()).toBe(0x200);
    same();
    e.setMProfileState(3, 0x01000000, 0, 0x20000800, 0x20000400);
    expect(e.readPc()).toBe(0x200);
    e.mProfileStackPointers(new Uint32Array(3));
    same();
    const context = e.saveContext();
    e.writeRegister(ARM_REG.PC, 0x300);
    e.restoreContext(context);
    expect(e.readPc()).toBe(0x200);
    e.counter.reset(2);
    e.run(1);
    expect(e.readPc()).toBe(4);
    same();
  });

  it('throws UnicornError with Unicorn message for bad API calls', () => {
    const e = open(thumb(T.nop));
    expect(() => e.mapMemory(0x100, 0x123, UC_PROT.ALL)).toThrow(UnicornError);
    try {
      e.readMemory(0x30000000, 4);
    } catch (error) {
      expect((error as UnicornError).ucCode).toBe('UC_ERR_READ_UNMAPPED');
      expect((error as Error).message).toMatch(/uc_mem_read\(0x30000000, 4\): .*UC_ERR_READ_UNMAPPED/);
    }
    expect(e.tryReadMemory(0x30000000, 4)).toBeUndefined();
  });

  it('counts exactly the instructions of a limited run', () => {
    const e = open(thumb(T.movsR0_0, repeat(T.addsR0_1, 100)));
    const c = e.counter;
    c.reset(10);
    expect(e.run(1)).toBe(UC_ERR.OK);
    expect(c.executed).toBe(10);
    expect(c.reachedLimit).toBe(true);
    expect(e.readRegister(ARM_REG.R0)).toBe(9);
    expect(e.readRegister(ARM_REG.PC)).toBe(20);
    expect(c.pc).toBe(20);
    c.reset(5);
    e.run(20 | 1);
    expect(e.readRegister(ARM_REG.R0)).toBe(14);
  });

  it('delivers MMIO accesses and stops after the trapping store without repeating it', () => {
    const code = thumb(T.movsR0_0, T.addsR0_1, T.movwR1_0x40004000, T.strR0_R1, T.addsR0_1, T.ldrR0_R1, T.bSelf);
    const e = open(code);
    const writes: Array<[number, number, number]> = [];
    e.mapMmio(
      0x40004000,
      0x1000,
      (off) => 0x1000 + off,
      (off, size, value) => {
        writes.push([off, size, value]);
        e.counter.requestStop();
      },
    );
    e.counter.reset(1000);
    e.run(1);
    expect(writes).toEqual([[0, 4, 1]]);
    expect(e.counter.executed).toBe(4);
    expect(e.readRegister(ARM_REG.PC)).toBe(10);
    e.counter.reset(1000);
    e.counter.limit = 2;
    e.run(10 | 1);
    expect(writes.length).toBe(1);
    expect(e.readRegister(ARM_REG.R0)).toBe(0x1000);
  });

  it('latches 32-bit writes of the registers in the mask into the device memory; other writes reach the device', () => {
    const strR0R1_4 = [0x6048]; // str r0, [r1, #4]
    const strbR0R1_8 = [0x7208]; // strb r0, [r1, #8]
    const strR0R1_24 = [0x6188]; // str r0, [r1, #24]: word 2 of the second 16-byte slot
    const e = open(thumb(T.movsR0_0, T.addsR0_1, T.movwR1_0x40004000, T.strR0_R1, strR0R1_4, strbR0R1_8, strR0R1_24, T.bSelf));
    const store = new HostMemory(0x1000);
    store.retain();
    try {
      const writes: Array<[number, number, number]> = [];
      e.mapMmio(0x40004000, 0x100, () => 0, (off, size, value) => writes.push([off, size, value]), { store, stride: 0x10, mask: 0b101 });
      e.counter.reset(7);
      e.run(1);
      const words = new Uint32Array(store.bytes.buffer, store.bytes.byteOffset, 8);
      expect([words[0], words[1], words[2], words[6]]).toEqual([1, 0, 0, 1]);
      expect(writes).toEqual([[4, 4, 1], [8, 1, 1]]);
      expect(e.counter.executed).toBe(7);
    } finally {
      e.close();
      store.release();
    }
  });

  it('refuses a latch whose stride the native check cannot use (zero, or not whole words)', () => {
    const store = new HostMemory(0x1000);
    store.retain();
    try {
      for (const stride of [0, 6]) {
        const e = open(thumb(T.bSelf));
        expect(() => e.mapMmio(0x40004000, 0x100, () => 0, () => {}, { store, stride, mask: 1 }), `stride ${stride}`).toThrow(/cannot latch MMIO at 0x40004000/);
        e.close();
      }
    } finally {
      store.release();
    }
  });

  it('maps an MMIO region whose size is not a page multiple; accesses past the size read 0 and are ignored', () => {
    // Checked with arm-none-eabi-as: mov.w r1, #0x40004000; ldr.w r0, [r1, #0x5fc];
    // ldr.w r2, [r1, #0x800]; str.w r0, [r1, #0x900]; str.w r0, [r1, #0x10]; b .
    const e = open(thumb(T.movwR1_0x40004000, [0xf8d1, 0x05fc, 0xf8d1, 0x2800, 0xf8c1, 0x0900, 0xf8c1, 0x0010], T.bSelf));
    const reads: number[] = [];
    const writes: number[] = [];
    e.mapMmio(
      0x40004000,
      0x600,
      (off) => {
        reads.push(off);
        return 0xabc0000 + off;
      },
      (off) => writes.push(off),
    );
    e.counter.reset(5);
    e.run(1);
    expect(e.readRegister(ARM_REG.R0)).toBe(0xabc05fc);
    expect(e.readRegister(ARM_REG.R2)).toBe(0);
    expect(reads).toEqual([0x5fc]);
    expect(writes).toEqual([0x10]);
  });

  it('reports SVC through the interrupt hook with the PC after the instruction', () => {
    const e = open(thumb(T.nop, T.svc5, T.nop, T.nop));
    const seen: Array<[number, number]> = [];
    e.onInterrupt((intno) => {
      seen.push([intno, e.readRegister(ARM_REG.PC)]);
      e.counter.requestStop();
      e.stop();
    });
    e.counter.reset(100);
    e.run(1);
    expect(seen).toEqual([[2, 4]]);
    expect(e.counter.executed).toBe(2);
  });

  it('stops on SVC in the counter as the interrupt hook does, and forgets it at the next run', () => {
    const e = open(thumb(T.nop, T.svc5, T.nop, T.nop));
    e.counter.stopOnInterrupts();
    e.counter.reset(100);
    e.run(1);
    expect(e.counter.interrupt).toEqual({ intno: 2, pc: 4 });
    expect(e.counter.executed).toBe(2);
    expect(e.readPc()).toBe(4);
    e.counter.reset(1);
    e.run(4 | 1);
    expect(e.counter.interrupt).toBeUndefined();
    expect(e.counter.executed).toBe(1);
  });

  it('ends a run on WFI with the PC after it', () => {
    const e = open(thumb(T.nop, T.wfi, T.nop));
    e.counter.reset(100);
    expect(e.run(1)).toBe(UC_ERR.OK);
    expect(e.readRegister(ARM_REG.PC)).toBe(4);
    expect(e.counter.executed).toBe(2);
    expect(e.counter.reachedLimit).toBe(false);
  });

  it('returns the unmapped-read error with the exact PC and calls the memory hook', () => {
    const e = open(thumb(T.nop, [0xf04f, 0x5140], T.ldrR0_R1));
    const faults: number[] = [];
    e.onInvalidMemory(UC_HOOK.MEM_UNMAPPED, (_type, address) => {
      faults.push(address);
      return false;
    });
    e.counter.reset(100);
    expect(e.run(1)).toBe(UC_ERR.READ_UNMAPPED);
    expect(faults).toEqual([0x30000000]);
    expect(e.readRegister(ARM_REG.PC)).toBe(6);
  });

  it('rethrows an error thrown inside a hook from run()', () => {
    const e = open(thumb(T.nop, T.movwR1_0x40004000, T.strR0_R1, T.bSelf));
    e.mapMmio(
      0x40004000,
      0x1000,
      () => 0,
      () => {
        throw new RangeError('device exploded');
      },
    );
    e.counter.reset(1000);
    expect(() => e.run(1)).toThrow('device exploded');
    e.counter.reset(10);
    expect(e.run(0xa | 1)).toBe(UC_ERR.OK);
  });

  it('saves and restores the CPU context', () => {
    const e = open(thumb(T.movsR0_0, repeat(T.addsR0_1, 10)));
    e.counter.reset(3);
    e.run(1);
    const ctx = e.saveContext();
    e.counter.reset(5);
    e.run(e.readRegister(ARM_REG.PC) | 1);
    expect(e.readRegister(ARM_REG.R0)).toBe(7);
    e.restoreContext(ctx);
    expect(e.readRegister(ARM_REG.R0)).toBe(2);
    expect(e.readRegister(ARM_REG.PC)).toBe(6);
    ctx.free();
  });

  it('maps one memory at several addresses', () => {
    engine = Engine.open();
    engine.mapSharedMemory([0x1000000, 0x1004000], 0x4000, UC_PROT.ALL);
    engine.writeMemory(0x1000010, Buffer.from([9, 9]));
    expect([...engine.readMemory(0x1004010, 2)]).toEqual([9, 9]);
    expect([...engine.readMemory(0x1004000, 2)]).toEqual([0, 0]);
  });

  it('refuses use after close', () => {
    const e = open(thumb(T.nop));
    e.close();
    expect(() => e.readRegister(ARM_REG.R0)).toThrow(/closed/);
    e.close();
  });
});
