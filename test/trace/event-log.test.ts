/**
 * Execution logs (`hv run --log ...`): lines with the virtual time, the guest, the category and
 * symbolized addresses; the exec category with each block's disassembly the first time it runs;
 * the same run writes the same log; --log-file and --log-guests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir, runHv } from '../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-log-');
afterAll(() => tmp.remove());

describe('hv run --log', () => {
  it('logs translated blocks with their disassembly the first time, named after their symbols', () => {
    const r = runHv(['run', 'firmware/build/hello.elf', '--log', 'exec,guest']);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines[0]).toBe('           0 hello      guest starts on core 0 at 0x000000c4 <Reset_Handler>');
    expect(lines.slice(1, 8)).toEqual([
      '         114 hello      exec  0x000000c4 <Reset_Handler>: 6 instructions',
      '         114 hello      exec      0x000000c4  ldr r0, [pc, #0x20]',
      '         114 hello      exec      0x000000c6  ldr r2, [pc, #0x24]',
      '         114 hello      exec      0x000000c8  ldr r1, [pc, #0x24]',
      '         114 hello      exec      0x000000ca  push {r3, lr}',
      '         114 hello      exec      0x000000cc  subs r2, r2, r0',
      '         114 hello      exec      0x000000ce  bl #0x5d0',
    ]);
    // A block that runs again is one line, without its disassembly.
    const loop = lines.filter((l) => l.includes('exec  0x000005d6 <memcpy+0x6>'));
    expect(loop.length).toBeGreaterThan(2);
    // Its instruction is disassembled twice only: in the block at 0x5d2 and in the block at 0x5d6, once each.
    expect(lines.filter((l) => l.includes('exec      0x000005d6  ldrb'))).toHaveLength(2);
    expect(lines.some((l) => /^ +\d+ hello +guest stops halted \(exit code 0\) at 0x[0-9a-f]{8} <\w+/.test(l))).toBe(true);
    // The console and the summary are unchanged on stdout.
    expect(r.stdout).toBe(runHv(['run', 'firmware/build/hello.elf']).stdout);
  });

  it('logs exceptions, traps and vCPU switches of the chosen guests into a file, the same on every run', () => {
    const file = (n: string) => join(tmp.dir, `${n}.log`);
    const args = (n: string) => ['run', 'guests/demo.yaml', '--log', 'int,trap,sched', '--log-guests', 'tasks,fault', '--log-file', file(n), '--until-cycles', '3000000'];
    expect(runHv(args('a')).status).toBe(3);
    expect(runHv(args('b')).status).toBe(3);
    const log = readFileSync(file('a'), 'utf8');
    expect(readFileSync(file('b'), 'utf8')).toBe(log);
    const guests = new Set(log.trim().split('\n').map((l) => l.trim().split(/ +/)[1]));
    expect(guests).toEqual(new Set(['tasks', 'fault']));
    expect(log).toMatch(/^ +\d+ tasks +int +entry SysTick -> 0x[0-9a-f]{8} <SysTick_Handler>$/m);
    expect(log).toMatch(/^ +\d+ tasks +int +return SysTick -> 0x[0-9a-f]{8} </m);
    expect(log).toMatch(/^ +\d+ tasks +int +tail-chain PendSV -> 0x[0-9a-f]{8} <PendSV_Handler>$/m);
    expect(log).toMatch(/^ +\d+ tasks +trap +svc svc #0 at 0x[0-9a-f]{8} <main\+0x[0-9a-f]+> \(42 cycles\)$/m);
    expect(log).toMatch(/^ +\d+ tasks +trap +mmio uart0\+0x0 write32 0x[0-9a-f]+ at 0x[0-9a-f]{8} <[\w.]+\+0x[0-9a-f]+> \(42 cycles\)$/m);
    expect(log).toMatch(/^ +\d+ fault +trap +fault precise data bus error reading 0x30000000 at 0x0000060a <main\+0x16> \(\d+ cycles\)$/m);
    expect(log).toMatch(/^ +\d+ tasks +sched core 1: switch compute -> tasks \(114 cycles\)$/m);
    // Time never goes back within a guest's lines.
    const times = log.trim().split('\n').filter((l) => l.includes(' tasks ')).map((l) => Number(l.trim().split(/ +/)[0]));
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });

  it('logs the I/O requests and phases of an I/O path', () => {
    const r = runHv(['run', 'guests/io-demo.yaml', '--log', 'io', '--log-guests', 'in-context', '--quiet']);
    expect(r.stderr).toMatch(/^ +\d+ in-context +io +in-context\.virtio-blk I\/O 1 begins \(in-context path, core \d\)$/m);
    expect(r.stderr).toMatch(/^ +\d+ in-context +io +I\/O 1 driver run: \d+ cycles on core \d$/m);
    expect(r.stderr).toMatch(/^ +\d+ in-context +io +I\/O 1 ends: \d+ requests, \d+ bytes, 0 errors$/m);
  });

  it('refuses an unknown category', () => {
    const r = runHv(['run', 'firmware/build/hello.elf', '--log', 'exec,bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--log: unknown category "bogus" (known: exec, insn, int, trap, io, sched, guest, all)');
  });
});
