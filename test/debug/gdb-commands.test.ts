import { describe, expect, it } from 'vitest';
import type { DebugAccess } from '../../hv/arch/cpu.ts';
import { DebugPoints } from '../../hv/debug/debug-points.ts';
import { PACKET_SIZE, type StubAction, type StubTarget, handlePacket } from '../../hv/debug/gdb-commands.ts';

/** Two registers (r0 at 0, pc at 15) and 64 bytes of memory at 0x1000. */
function fakeTarget(): StubTarget & { memory: Uint8Array; regs: Map<number, number> } {
  const regs = new Map([[0, 0x11223344], [15, 0x100]]);
  const memory = new Uint8Array(64);
  const points = new DebugPoints({ breakpoints: 2, watchpoints: 1 });
  const debug: DebugAccess = {
    targetXml: '<?xml version="1.0"?><target>0123456789</target>',
    registers: [
      { name: 'r0', regnum: 0, bytes: 4 },
      { name: 'pc', regnum: 15, bytes: 4 },
    ],
    readRegister: (n) => (regs.has(n) ? Uint8Array.from(Buffer.from(new Uint32Array([regs.get(n)!]).buffer)) : undefined),
    writeRegister: (n, b) => regs.has(n) && b.length === 4 && (regs.set(n, Buffer.from(b).readUInt32LE(0)), true),
    faultSignal: () => 11,
    comparators: { breakpoints: 2, watchpoints: 1 },
  };
  const inside = (a: number, n: number) => a >= 0x1000 && a + n <= 0x1040;
  return {
    debug,
    regs,
    memory,
    readMemory: (a, n) => (a >= 0x1000 && a < 0x1040 ? memory.slice(a - 0x1000, Math.min(0x1040, a + n) - 0x1000) : undefined),
    writeMemory: (a, b) => inside(a, b.length) && (memory.set(b, a - 0x1000), true),
    insertPoint: (k, a, l) => points.insert(k, a, l),
    removePoint: (k, a, l) => points.remove(k, a, l),
    stopReply: () => 'T05thread:1;',
  };
}

const run = (t: StubTarget, packet: string): StubAction => handlePacket(Buffer.from(packet, 'latin1'), t);
const reply = (t: StubTarget, packet: string): string => {
  const a = run(t, packet);
  if (a.kind !== 'reply' && a.kind !== 'no-ack' && a.kind !== 'detach') throw new Error(`${packet}: ${a.kind}`);
  return a.data;
};

describe('GDB stub commands', () => {
  it('announces its features and reads the target description in parts', () => {
    const t = fakeTarget();
    expect(reply(t, 'qSupported:swbreak+')).toBe(`PacketSize=${PACKET_SIZE.toString(16)};qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;vContSupported+`);
    expect(reply(t, 'qXfer:features:read:target.xml:0,10')).toBe('m<?xml version="1');
    expect(reply(t, 'qXfer:features:read:target.xml:1d,100')).toBe('l0123456789</target>');
    expect(reply(t, 'qXfer:features:read:target.xml:30,10')).toBe('l');
    expect(reply(t, 'qXfer:features:read:other.xml:0,10')).toBe('E00');
    expect(run(t, 'QStartNoAckMode')).toEqual({ kind: 'no-ack', data: 'OK' });
  });

  it('answers the thread and status queries of a single-threaded target', () => {
    const t = fakeTarget();
    expect(reply(t, '?')).toBe('T05thread:1;');
    expect(reply(t, 'qfThreadInfo')).toBe('m1');
    expect(reply(t, 'qsThreadInfo')).toBe('l');
    expect(reply(t, 'qC')).toBe('QC1');
    expect(reply(t, 'qAttached')).toBe('1');
    expect(reply(t, 'Hg1')).toBe('OK');
    expect(reply(t, 'vCont?')).toBe('vCont;c;C;s;S');
    expect(reply(t, 'vMustReplyEmpty')).toBe('');
    expect(reply(t, 'qTStatus')).toBe('');
  });

  it('reads and writes registers one at a time and all together', () => {
    const t = fakeTarget();
    expect(reply(t, 'g')).toBe('4433221100010000');
    expect(reply(t, 'pf')).toBe('00010000');
    expect(reply(t, 'p7')).toBe('E01');
    expect(reply(t, 'P0=efbeadde')).toBe('OK');
    expect(t.regs.get(0)).toBe(0xdeadbeef);
    expect(reply(t, 'P0=ef')).toBe('E01');
    expect(reply(t, 'G0100000002000000')).toBe('OK');
    expect([t.regs.get(0), t.regs.get(15)]).toEqual([1, 2]);
  });

  it('reads and writes memory in hex and binary, with an error outside it', () => {
    const t = fakeTarget();
    expect(reply(t, 'M1000,3:0a0b0c')).toBe('OK');
    expect(reply(t, 'm1000,4')).toBe('0a0b0c00');
    expect(reply(t, 'm103e,8')).toBe('0000');
    expect(reply(t, 'm2000,4')).toBe('E14');
    expect(reply(t, 'M2000,1:00')).toBe('E14');
    expect(reply(t, 'M1000,2:00')).toBe('E01');
    expect(run(t, 'X1004,3:\x01}\x5d\x23'.replace('\x23', '}\x03'))).toEqual({ kind: 'reply', data: 'OK' });
    expect([...t.memory.slice(4, 7)]).toEqual([1, 0x7d, 0x23]);
    expect(reply(t, 'X1000,0:')).toBe('OK');
  });

  it('inserts breakpoints and watchpoints up to the comparators, software breakpoints without limit', () => {
    const t = fakeTarget();
    for (const a of ['10', '12', '14', '16']) expect(reply(t, `Z0,${a},2`)).toBe('OK');
    expect(reply(t, 'Z1,20,2')).toBe('OK');
    expect(reply(t, 'Z1,22,4')).toBe('OK');
    expect(reply(t, 'Z1,24,2')).toBe('E1c');
    expect(reply(t, 'z1,22,4')).toBe('OK');
    expect(reply(t, 'Z1,24,2')).toBe('OK');
    expect(reply(t, 'Z2,1000,4')).toBe('OK');
    expect(reply(t, 'Z4,1008,4')).toBe('E1c');
    expect(reply(t, 'Z9,1008,4')).toBe('E01');
  });

  it('turns c, s, C, S and vCont into resume actions, D into detach, k and vKill into kill', () => {
    const t = fakeTarget();
    expect(run(t, 'c')).toEqual({ kind: 'resume', step: false });
    expect(run(t, 's')).toEqual({ kind: 'resume', step: true });
    expect(run(t, 'c200')).toEqual({ kind: 'resume', step: false, address: 0x200 });
    expect(run(t, 'C05;300')).toEqual({ kind: 'resume', step: false, address: 0x300 });
    expect(run(t, 'S0b')).toEqual({ kind: 'resume', step: true });
    expect(run(t, 'vCont;s:1;c')).toEqual({ kind: 'resume', step: true });
    expect(run(t, 'vCont;c:2;s')).toEqual({ kind: 'resume', step: true });
    expect(run(t, 'vCont;c')).toEqual({ kind: 'resume', step: false });
    expect(run(t, 'D')).toEqual({ kind: 'detach', data: 'OK' });
    expect(run(t, 'k')).toEqual({ kind: 'kill' });
    expect(run(t, 'vKill;1')).toEqual({ kind: 'kill' });
    expect(reply(t, 'Qunknown')).toBe('');
  });
});

describe('DebugPoints', () => {
  it('finds the watchpoint an access overlaps, by kind', () => {
    const p = new DebugPoints({ breakpoints: 6, watchpoints: 4 });
    p.insert('write', 0x100, 4);
    p.insert('read', 0x200, 2);
    p.insert('access', 0x300, 1);
    expect(p.watchHit(0x102, 2, true)?.address).toBe(0x100);
    expect(p.watchHit(0x102, 2, false)).toBeUndefined();
    expect(p.watchHit(0x0fc, 4, true)).toBeUndefined();
    expect(p.watchHit(0x1ff, 2, false)?.kind).toBe('read');
    expect(p.watchHit(0x300, 4, true)?.kind).toBe('access');
    expect(p.watchHit(0x300, 4, false)?.kind).toBe('access');
    p.clear();
    expect(p.empty).toBe(true);
  });
});
