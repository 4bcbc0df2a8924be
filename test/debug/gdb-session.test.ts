/**
 * A real debugging session: Debian's gdb-multiarch in batch mode attached to the `echo` guest of
 * a three-guest run (guests/debug-demo.yaml, scripted UART input): break at main, next, step,
 * read registers and memory, watch a variable the UART interrupt changes, break in the
 * interrupt handler, continue to the guest's exit. The run's whole standard output (every
 * guest's console lines and the summary with instructions and cycles) must be byte-identical to
 * the same run without a debugger: a halted guest holds virtual time still for everyone.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, runHv } from '../helpers/hv-cli.ts';
import { runProgram } from '../helpers/host-tools.ts';
import { startHv } from '../helpers/hv-spawn.ts';

const RUN = ['run', 'guests/debug-demo.yaml', '--uart-input', 'echo:guests/echo-input.txt'];

const GDB_SCRIPT = (port: number) => `
set pagination off
set confirm off
directory firmware
target remote :${port}
break main
continue
next
next
step
info registers pc sp xpsr
p $msp
p $primask
p $fpscr
x/2i $pc
print received
print &received
x/1xw &received
watch received
continue
print received
bt
delete
hbreak IRQ0_Handler
continue
info registers r0
p/x $lr
delete
stepi
p $pc
continue
`;

const tmp = makeTempDir('hvlab-gdb-');
let plain: { status: number | null; stdout: string };
let debugged: { status: number | null; stdout: string; stderr: string };
let gdb: string;

beforeAll(async () => {
  plain = runHv(RUN, 180_000);
  const hv = await startHv([...RUN, '--gdb', 'echo:0', '--gdb-wait']);
  const script = join(tmp.dir, 'session.gdb');
  writeFileSync(script, GDB_SCRIPT(hv.port));
  const session = await runProgram('gdb-multiarch', ['-batch', '-nx', '-x', script, 'firmware/build/echo.elf'], { timeoutMs: 240_000 });
  gdb = `${session.stdout}${session.stderr}`;
  debugged = await hv.done;
}, 600_000);
afterAll(() => tmp.remove());

describe('gdb-multiarch against the echo guest of a three-guest run', () => {
  it('breaks at main and steps by source line', () => {
    expect(gdb).toMatch(/Breakpoint 1 at 0x[0-9a-f]+: file echo\/main\.c, line 53\./);
    expect(gdb).toMatch(/Breakpoint 1, main \(\) at echo\/main\.c:53\n53\t {4}uart_init\(\);/);
    expect(gdb).toMatch(/\n54\t {4}UART_CTRL\(UART0_BASE\) = /);
    expect(gdb).toMatch(/\n55\t {4}nvic_enable_irq\(UART0_RX_IRQn\);/);
    expect(gdb).toMatch(/in nvic_enable_irq \(irq=<optimized out>\) at lib\/board\.h:180/);
  });

  it('reads core, system and floating-point registers and disassembles at the PC', () => {
    expect(gdb).toMatch(/^pc +0x65e +0x65e <main\+14>$/m);
    expect(gdb).toMatch(/^sp +0x203fff88 +0x203fff88$/m);
    expect(gdb).toMatch(/^xpsr +0x21000000 +/m);
    expect(gdb).toMatch(/^\$1 = \(void \*\) 0x203fff88$/m);
    expect(gdb).toMatch(/^\$2 = 0$/m);
    expect(gdb).toMatch(/^\$3 = 0$/m);
    expect(gdb).toMatch(/=> 0x65e <main\+14>:\tmov\.w\tr3, #3758153728/);
  });

  it('reads a variable and its memory, then stops when the UART interrupt writes it', () => {
    expect(gdb).toMatch(/^\$4 = 0$/m);
    expect(gdb).toMatch(/^\$5 = \(volatile uint32_t \*\) 0x2000004c <received>$/m);
    expect(gdb).toMatch(/^0x2000004c <received>:\t0x00000000$/m);
    expect(gdb).toMatch(/Hardware watchpoint 2: received\n\nOld value = 0\nNew value = 1\n/);
    // Reported after the store, inside the interrupt handler, with the exception frame unwound.
    expect(gdb).toMatch(/0x[0-9a-f]+ in IRQ0_Handler \(\) at echo\/main\.c:26/);
    expect(gdb).toMatch(/^\$6 = 1$/m);
    expect(gdb).toMatch(/#0 +0x[0-9a-f]+ in IRQ0_Handler \(\) at echo\/main\.c:26\n#1 +<signal handler called>\n#2 .*\n#3 +next_byte \(\) at echo\/main\.c:32\n#4 +main \(\) at echo\/main\.c:58/);
  });

  it('stops at a hardware breakpoint in the interrupt handler, single-steps an instruction, and sees the exit', () => {
    expect(gdb).toMatch(/Hardware assisted breakpoint 3 at 0x608: file echo\/main\.c, line 21\./);
    expect(gdb).toMatch(/Breakpoint 3, IRQ0_Handler \(\) at echo\/main\.c:21/);
    expect(gdb).toMatch(/^r0 +0x[0-9a-f]+ +\d+$/m);
    expect(gdb).toMatch(/^\$7 = 0xfffffff9$/m);
    expect(gdb).toMatch(/^\$8 = \(void \(\*\)\(\)\) 0x60c <IRQ0_Handler\+4>$/m);
    expect(gdb).toContain('[Inferior 1 (Remote target) exited normally]');
  });

  it('changes nothing the guests see: the whole standard output equals the run without a debugger', () => {
    expect(plain.status).toBe(0);
    expect(debugged.status).toBe(0);
    expect(debugged.stdout).toBe(plain.stdout);
    expect(debugged.stdout).toContain('[echo] echo: 36 bytes, 3 lines');
    expect(debugged.stderr).toMatch(/hv: gdb: guest echo: debugger connected/);
  });
});
