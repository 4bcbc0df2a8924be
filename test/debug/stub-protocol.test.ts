/**
 * The GDB stub at the protocol level, with a raw RSP client against `hv run --gdb`: halting when
 * a debugger connects, Ctrl-C, registers in the target description's layout, memory limited to
 * the guest's own RAM, comparator limits, the guest's fault (a signal, then "terminated") and
 * exit (W), detaching, gdb's kill ending the run, one debugger at a time.
 */
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runHv } from '../helpers/hv-cli.ts';
import { startHv } from '../helpers/hv-spawn.ts';
import { RspClient } from '../helpers/rsp-client.ts';

/** r0-r15, xpsr, d0-d15, fpscr, msp, psp, primask, basepri, faultmask, control. */
const G_PACKET_BYTES = 16 * 4 + 4 + 16 * 8 + 4 + 6 * 4;

function le32(hex: string): number {
  return Buffer.from(hex, 'hex').readUInt32LE(0);
}

describe('a debugger attaching to a running guest', () => {
  it('halts it on connection, answers Ctrl-C, reads registers and its own memory only, limits comparators, and kill ends the run', async () => {
    const hv = await startHv(['run', 'firmware/build/spin.elf', '--gdb', '0']);
    const gdb = await RspClient.connect(hv.port);
    expect(await gdb.request('qSupported:multiprocess+;swbreak+;hwbreak+')).toContain('qXfer:features:read+');
    await gdb.startNoAck();
    expect(await gdb.request('?')).toBe('T05thread:1;');
    const xml = await gdb.request('qXfer:features:read:target.xml:0,3fff');
    expect(xml).toMatch(/^l<\?xml version="1\.0"\?>/);
    expect(xml).toContain('<feature name="org.gnu.gdb.arm.m-profile">');
    expect(xml).toContain('<reg name="xpsr" bitsize="32" regnum="25"/>');
    expect(xml).toContain('<feature name="org.gnu.gdb.arm.vfp">');
    expect(xml).toContain('<feature name="org.gnu.gdb.arm.m-system">');
    const g = await gdb.request('g');
    expect(g).toHaveLength(2 * G_PACKET_BYTES);
    expect(le32(await gdb.request('pf'))).toBe(le32(g.slice(15 * 8, 16 * 8)));
    expect(le32(await gdb.request('p2b'))).toBe(le32(g.slice(13 * 8, 14 * 8))); // msp = sp in thread mode on the main stack
    // The vector table's initial stack pointer, from the guest's own memory.
    expect(await gdb.request('m0,4')).toBe('00004020');
    // Neither unmapped addresses nor device registers (reads there have side effects).
    expect(await gdb.request('m30000000,4')).toBe('E14');
    expect(await gdb.request('m40004000,4')).toBe('E14');
    // 6 hardware breakpoints and 4 watchpoints, as the Cortex-M4's FPB and DWT.
    for (let i = 0; i < 6; i++) expect(await gdb.request(`Z1,${(0x100 + 2 * i).toString(16)},2`)).toBe('OK');
    expect(await gdb.request('Z1,200,2')).toBe('E1c');
    for (let i = 0; i < 4; i++) expect(await gdb.request(`Z2,${(0x20000000 + 4 * i).toString(16)},4`)).toBe('OK');
    expect(await gdb.request('Z3,20000100,4')).toBe('E1c');
    for (let i = 0; i < 6; i++) expect(await gdb.request(`z1,${(0x100 + 2 * i).toString(16)},2`)).toBe('OK');
    for (let i = 0; i < 4; i++) expect(await gdb.request(`z2,${(0x20000000 + 4 * i).toString(16)},4`)).toBe('OK');
    gdb.send('c');
    await new Promise((r) => setTimeout(r, 300));
    gdb.interrupt();
    expect(await gdb.reply()).toBe('T02thread:1;');
    gdb.send('k');
    const end = await hv.done;
    gdb.close();
    expect(end.status).toBe(0);
    expect(end.stdout).toMatch(/\nrun ended: stopped at cycle \d+ /);
    expect(end.stderr).toContain('hv: gdb: guest spin: killed by the debugger, the run ends');
  }, 120_000);

  it('serves one debugger at a time', async () => {
    const hv = await startHv(['run', 'firmware/build/spin.elf', '--gdb', '0', '--until-cycles', '5000000']);
    const first = await RspClient.connect(hv.port);
    expect(await first.request('?')).toBe('T05thread:1;');
    const second = new Socket();
    const closed = new Promise<void>((resolve) => second.on('close', () => resolve()));
    second.connect(hv.port, '127.0.0.1');
    await closed;
    expect(await first.request('D')).toBe('OK');
    first.close();
    const end = await hv.done;
    expect(end.status).toBe(0);
    expect(end.stdout).toMatch(/run ended: until-cycles at cycle 5000000 /);
  }, 120_000);
});

describe("the guest's end, as gdb sees it", () => {
  it('an exit is a W packet with the exit code', async () => {
    const hv = await startHv(['run', 'firmware/build/hello.elf', '--gdb', '0', '--gdb-wait']);
    const gdb = await RspClient.connect(hv.port);
    await gdb.startNoAck();
    expect(await gdb.request('?')).toBe('T05thread:1;');
    // Halted before the first instruction: the PC is the reset vector's.
    expect(le32(await gdb.request('pf'))).toBe(0xc4);
    expect(await gdb.request('vCont;c')).toBe('W00');
    gdb.close();
    const end = await hv.done;
    expect(end.status).toBe(0);
    expect(end.stdout).toBe(runHv(['run', 'firmware/build/hello.elf']).stdout);
  }, 120_000);

  it('a fault stops with its signal where it happened, and continuing reports the guest terminated', async () => {
    const hv = await startHv(['run', 'firmware/build/fault.elf', '--gdb', '0', '--gdb-wait']);
    const gdb = await RspClient.connect(hv.port);
    await gdb.startNoAck();
    expect(await gdb.request('?')).toBe('T05thread:1;');
    expect(await gdb.request('c')).toBe('T0bthread:1;');
    expect(le32(await gdb.request('pf'))).toBe(0x60a);
    expect(await gdb.request('c')).toBe('X0b');
    gdb.close();
    const end = await hv.done;
    expect(end.status).toBe(3);
    expect(end.stdout).toContain('[fault] [hv]   cause: precise data bus error reading 0x30000000 at pc 0x0000060a (main+0x16)');
  }, 120_000);

  it('single steps one instruction and stops at software breakpoints; detaching lets the guest run on unchanged', async () => {
    const hv = await startHv(['run', 'firmware/build/hello.elf', '--gdb', '0', '--gdb-wait']);
    const gdb = await RspClient.connect(hv.port);
    await gdb.startNoAck();
    expect(await gdb.request('s')).toBe('T05thread:1;');
    expect(le32(await gdb.request('pf'))).toBe(0xc6);
    expect(await gdb.request('Z0,5f8,2')).toBe('OK'); // main
    expect(await gdb.request('c')).toBe('T05thread:1;swbreak:;');
    expect(le32(await gdb.request('pf'))).toBe(0x5f8);
    // Writes reach the guest's registers and RAM (and only its RAM).
    expect(await gdb.request('P0=78563412')).toBe('OK');
    expect(await gdb.request('p0')).toBe('78563412');
    expect(await gdb.request('M20100000,4:01020304')).toBe('OK');
    expect(await gdb.request('m20100000,4')).toBe('01020304');
    expect(await gdb.request('M40004000,4:41000000')).toBe('E14');
    expect(await gdb.request('D')).toBe('OK');
    gdb.close();
    const end = await hv.done;
    expect(end.status).toBe(0);
    expect(end.stdout).toContain('[hello] hello: sum(1..100) = 5050');
  }, 120_000);
});

describe('a guest waiting for terminal input', () => {
  it('can still be interrupted with Ctrl-C while it sleeps in WFI and the run waits for input', async () => {
    const hv = await startHv(['run', 'firmware/build/echo.elf', '--uart-input', 'echo:-', '--gdb', '0']);
    await new Promise((r) => setTimeout(r, 1500));
    const gdb = await RspClient.connect(hv.port);
    await gdb.startNoAck();
    expect(await gdb.request('?')).toBe('T05thread:1;');
    gdb.send('c');
    await new Promise((r) => setTimeout(r, 300));
    gdb.interrupt();
    expect(await gdb.reply()).toBe('T02thread:1;');
    // Asleep in next_byte's WFI loop inside main.
    const pc = le32(await gdb.request('pf'));
    expect(pc).toBeGreaterThanOrEqual(0x650);
    expect(pc).toBeLessThan(0x730);
    expect(await gdb.request('D')).toBe('OK');
    gdb.close();
    hv.child.stdin!.end('quit\n');
    const end = await hv.done;
    expect(end.status).toBe(0);
    expect(end.stdout).toContain('[echo] echo: 5 bytes, 1 lines');
  }, 120_000);
});
