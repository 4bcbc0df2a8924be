/**
 * UART input: the script format (times, escapes, errors), the echo guest receiving scripted
 * input through its UART0 receive interrupt (deterministically: two runs are byte-identical),
 * and the terminal as input (`--uart-input GUEST:-`, here a pipe).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseUartScript } from '../../hv/system/uart-script.ts';
import { ROOT, guestLines, makeTempDir, runHv } from '../helpers/hv-cli.ts';
import { runProgram } from '../helpers/host-tools.ts';

const tmp = makeTempDir('hvlab-uart-');
afterAll(() => tmp.remove());
const ECHO = 'firmware/build/echo.elf';
const bytes = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

describe('UART input scripts', () => {
  it('reads times in cycles or with units, text with escapes and a newline unless \\c ends it', () => {
    const events = parseUartScript('# comment\n\n40 hi\n2us two words\n1.5ms tab\\there\\c\n1s \\x41\\\\\\0\\r\n1s\n', 'in.txt', 25_000_000);
    expect(events).toEqual([
      { at: 40, bytes: bytes('hi\n') },
      { at: 50, bytes: bytes('two words\n') },
      { at: 37500, bytes: bytes('tab\there') },
      { at: 25_000_000, bytes: bytes('A\\\0\r\n') },
      { at: 25_000_000, bytes: bytes('\n') },
    ]);
  });

  it('names the file and line of a bad time, a time going back, or an unknown escape', () => {
    expect(() => parseUartScript('10 a\nsoon b\n', 'in.txt', 25e6)).toThrow('in.txt:2: expected a time in cycles or with a unit (ns, us, ms, s), got "soon"');
    expect(() => parseUartScript('10 a\n5 b\n', 'in.txt', 25e6)).toThrow('in.txt:2: time 5 is earlier than the line before (times never decrease)');
    expect(() => parseUartScript('1.5 a\n', 'in.txt', 25e6)).toThrow('in.txt:1: expected a whole number of cycles, got "1.5"');
    expect(() => parseUartScript('1 \\q\n', 'in.txt', 25e6)).toThrow('in.txt:1: unknown escape "\\q"');
  });
});

describe('the echo guest with scripted input', () => {
  it('receives every byte through its RX interrupt, echoes the lines and exits on quit', () => {
    const r = runHv(['run', ECHO, '--uart-input', 'echo:guests/echo-input.txt']);
    expect(r.status).toBe(0);
    expect(guestLines(r.stdout)).toEqual([
      "[echo] echo: ready, type a line ('quit' ends)",
      '[echo] hello, echo',
      '[echo] typed on two lines',
      '[echo] quit',
      '[echo] echo: 36 bytes, 3 lines',
    ]);
    // One RX interrupt per byte.
    expect(r.stdout).toMatch(/│ echo +│ 0 +│ halted +│ \d+ +│ \d+ +│ 36 +│/);
  });

  it('is deterministic: two runs print the same bytes and the same stats', () => {
    const a = runHv(['run', ECHO, '--uart-input', 'guests/echo-input.txt', '--stats', join(tmp.dir, 'a.json')]);
    const b = runHv(['run', ECHO, '--uart-input', 'guests/echo-input.txt', '--stats', join(tmp.dir, 'b.json')]);
    expect(b.stdout).toBe(a.stdout);
    expect(readFileSync(join(tmp.dir, 'b.json'), 'utf8')).toBe(readFileSync(join(tmp.dir, 'a.json'), 'utf8'));
  });

  it('holds bytes back while the guest does not read them: input before RX is enabled arrives, none is lost', () => {
    const script = join(tmp.dir, 'early.txt');
    writeFileSync(script, '0 early bird\n0 quit\n');
    const r = runHv(['run', ECHO, '--uart-input', `echo:${script}`]);
    expect(guestLines(r.stdout)).toEqual(["[echo] echo: ready, type a line ('quit' ends)", '[echo] early bird', '[echo] quit', '[echo] echo: 16 bytes, 2 lines']);
  });

  it('reports a bad script or guest as bad input (exit 2)', () => {
    const bad = join(tmp.dir, 'bad.txt');
    writeFileSync(bad, 'later hello\n');
    expect(runHv(['run', ECHO, '--uart-input', bad]).stderr).toContain(`hv: ${bad}:1: expected a time in cycles`);
    const none = runHv(['run', 'guests/debug-demo.yaml', '--uart-input', 'nobody:guests/echo-input.txt']);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('--uart-input: no guest named "nobody" (guests: hello, tasks, echo)');
    const which = runHv(['run', 'guests/debug-demo.yaml', '--uart-input', 'guests/echo-input.txt']);
    expect(which.stderr).toContain('--uart-input: name the guest (GUEST:...): the system has hello, tasks, echo');
  });
});

describe('the terminal as UART input', () => {
  it('feeds what arrives on standard input to the chosen guest, in a multi-guest run', async () => {
    const r = await runProgram(process.execPath, [join(ROOT, 'bin/hv.js'), 'run', 'guests/debug-demo.yaml', '--uart-input', 'echo:-'], { cwd: ROOT, timeoutMs: 120_000, stdin: 'typed at the terminal\nquit\n' });
    expect(r.code).toBe(0);
    const echo = r.stdout.split('\n').filter((l) => l.startsWith('[echo]'));
    expect(echo).toEqual(["[echo] echo: ready, type a line ('quit' ends)", '[echo] typed at the terminal', '[echo] quit', '[echo] echo: 27 bytes, 2 lines']);
    expect(r.stdout).toContain('[tasks] tasks: done');
  });
});
