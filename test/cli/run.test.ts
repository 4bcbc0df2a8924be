import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRMWARE, guestLines, makeTempDir, runHv } from '../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-cli-');
afterAll(() => tmp.remove());

const HELLO = 'firmware/build/hello.elf';

function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'));
}

describe('hv run <image>', () => {
  it('prints the guest lines as [name] text, then the summary table, and exits 0', () => {
    const r = runHv(['run', HELLO]);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 3)).toEqual(['[hello] hello: booted', '[hello] hello: sum(1..100) = 5050', '[hello] hello: done']);
    // The summary table follows directly.
    expect(lines[3]).toMatch(/^┌/);
    const header = lines[4]!.split('│').map((c) => c.trim());
    expect(header).toEqual(['', 'guest', 'core', 'state', 'instructions', 'cycles', 'exceptions', 'traps', 'lines', 'note', '']);
    const row = lines[6]!.split('│').map((c) => c.trim());
    expect(row[1]).toBe('hello');
    expect(row[2]).toBe('0');
    expect(row[3]).toBe('halted');
    expect(Number(row[4])).toBeGreaterThan(0);
    expect(Number(row[5])).toBeGreaterThanOrEqual(Number(row[4]));
    expect(row[8]).toBe('3');
    expect(row[9]).toBe('exit 0');
    expect(lines[7]).toMatch(/^└/);
    expect(lines[8]).toMatch(/^run ended: all-stopped at cycle \d+ \(\d+\.\d{6} s of virtual time at 25 MHz\)$/);
    expect(lines.slice(9)).toEqual(['']);
    // Host speed varies between runs, so it goes to stderr only.
    expect(r.stdout).not.toMatch(/MIPS/);
    expect(r.stderr).toMatch(/^host: .* guest MIPS$/m);
  });

  it('stops a faulting guest with a report and exits 3', () => {
    const r = runHv(['run', 'firmware/build/fault.elf']);
    expect(r.status).toBe(3);
    const lines = guestLines(r.stdout);
    expect(lines.slice(0, 5)).toEqual([
      '[fault] fault: reading unmapped address 0x30000000',
      '[fault] [hv] stopped (no-handler): HardFault has no handler (vector is 0)',
      // The PC and the caller are named after the functions they are in (the image's symbols).
      '[fault] [hv]   cause: precise data bus error reading 0x30000000 at pc 0x0000060a (main+0x16)',
      '[fault] [hv]   lr 0x00000604 (main+0x10)',
      '[fault] [hv]   CFSR 0x00008200 HFSR 0x40000000 MMFAR 0x00000000 BFAR 0x30000000',
    ]);
    expect(lines[5]).toBe('[fault] [hv]   r0 0x00000674 r1 0x00000000 r2 0x00000000 r3 0x30000000 r4 0x00000000 r5 0x00000000 r6 0x00000000 r7 0x00000000');
    expect(lines[6]).toMatch(/^\[fault\] \[hv\] {3}r8 0x[0-9a-f]{8} .* sp 0x[0-9a-f]{8} lr 0x[0-9a-f]{8} pc 0x0000060a$/);
    expect(lines[7]).toMatch(/^\[fault\] \[hv\] {3}xpsr 0x[0-9a-f]{8} msp 0x[0-9a-f]{8} psp 0x[0-9a-f]{8} control .* faultmask 0x[0-9a-f]{8}$/);
    expect(lines).toHaveLength(8);
    expect(r.stdout).toMatch(/│ fault +│ 0 +│ faulted +│.*│ HardFault at main\+0x16 +│/);
  });
});

describe('hv run: bad input exits 2 with a message naming the problem', () => {
  it('a missing image file', () => {
    const missing = join(tmp.dir, 'nope.elf');
    const r = runHv(['run', missing]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`hv: ${missing}: cannot read image: ENOENT`);
    expect(r.stdout).toBe('');
  });

  it('--cores 0, --cores abc and --cores 200000', () => {
    for (const value of ['0', 'abc', '-1', '1.5', '200000']) {
      const r = runHv(['run', HELLO, '--cores', value]);
      expect(r.status, value).toBe(2);
      expect(r.stderr).toContain(`--cores: expected an integer from 1 to 64, got "${value}"`);
      expect(r.stdout).toBe('');
    }
  });

  it('--until-line with an invalid regular expression', () => {
    const r = runHv(['run', HELLO, '--until-line', '(']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--until-line: invalid regular expression "("');
  });

  it('--until-cycles with a non-number', () => {
    const r = runHv(['run', HELLO, '--until-cycles', '1e6']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--until-cycles: expected an integer >= 0, got "1e6"');
  });

  it('a system file with a bad field', () => {
    const file = join(tmp.dir, 'bad.yaml');
    writeFileSync(file, 'cores: 1\nguests:\n  - name: a\n    image: 42\n');
    const r = runHv(['run', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}: guests[0].image: expected string, received number`);
    expect(r.stdout).toBe('');
  });

  it('a system file whose guest memory is too small for its image', () => {
    const file = join(tmp.dir, 'small.yaml');
    writeFileSync(file, `guests:\n  - name: h\n    image: ${join(FIRMWARE, 'hello.elf')}\n    code-size: 1KiB\n`);
    const r = runHv(['run', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/hello\.elf: segment 0 at 0x0-0x6a3 lies outside the guest's memory \(ssram1 0x0-0x3ff/);
  });

  it('an unknown option and a missing target', () => {
    const unknown = runHv(['run', HELLO, '--bogus']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--bogus'");
    expect(unknown.stdout).toBe('');
    const missing = runHv(['run']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe('hv: expected a system file (.yaml) or a guest image to run, or --restore FILE\n');
  });

  it('a stats file that cannot be written, reported before the run starts', () => {
    const r = runHv(['run', HELLO, '--stats', join(tmp.dir, 'no/such/dir/stats.json')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^hv: --stats .*stats\.json: cannot write: ENOENT/);
    expect(r.stdout).toBe('');
  });
});

describe('hv run: run limits', () => {
  it('--until-line stops right after the first matching line', () => {
    const stats = join(tmp.dir, 'until-line.json');
    const r = runHv(['run', 'firmware/build/tasks.elf', '--until-line', 'task A: step 3', '--stats', stats]);
    expect(r.status).toBe(0);
    const lines = guestLines(r.stdout);
    expect(lines[0]).toBe('[tasks] tasks: start');
    expect(lines[lines.length - 1]).toBe('[tasks] task A: step 3');
    expect(lines.filter((l) => l === '[tasks] task A: step 3')).toHaveLength(1);
    expect(lines.filter((l) => /task A: step/.test(l))).toEqual(['[tasks] task A: step 1', '[tasks] task A: step 2', '[tasks] task A: step 3']);
    expect(lines.some((l) => /step ([4-9]|10)$/.test(l) && l.includes('task A'))).toBe(false);
    expect(lines).not.toContain('[tasks] tasks: done');
    expect(r.stdout).toMatch(/^run ended: until-line at cycle \d+ /m);
    const s = readJson(stats);
    expect(s.endReason).toBe('until-line');
    expect(s.guests[0].state).toBe('running');
    expect(s.guests[0].console.lines).toBe(lines.length);
  });

  it('--until-line matches a regular expression', () => {
    const r = runHv(['run', HELLO, '--until-line', '^hello: sum\\(']);
    expect(r.status).toBe(0);
    expect(guestLines(r.stdout)).toEqual(['[hello] hello: booted', '[hello] hello: sum(1..100) = 5050']);
  });

  it('--until-cycles ends the run at exactly that virtual time', () => {
    const stats = join(tmp.dir, 'until-cycles.json');
    const r = runHv(['run', 'firmware/build/compute.elf', '--until-cycles', '100000', '--stats', stats]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^run ended: until-cycles at cycle 100000 \(0\.004000 s of virtual time at 25 MHz\)$/m);
    const s = readJson(stats);
    expect(s.endReason).toBe('until-cycles');
    expect(s.cycles).toBe(100000);
    expect(s.guests[0].state).toBe('running');
    expect(s.guests[0].cycles).toBe(100000);
    expect(s.guests[0].exitCode).toBeNull();
    expect(s.guests[0].instructions).toBeLessThanOrEqual(100000);
  });

  it('--until-cycles 0 runs nothing', () => {
    const stats = join(tmp.dir, 'zero.json');
    const r = runHv(['run', HELLO, '--until-cycles', '0', '--stats', stats]);
    expect(r.status).toBe(0);
    expect(guestLines(r.stdout)).toEqual([]);
    const s = readJson(stats);
    expect(s.endReason).toBe('until-cycles');
    expect(s.cycles).toBe(0);
    expect(s.guests[0].instructions).toBe(0);
  });

  it('a limit beyond the end of the run does not change how it ends', () => {
    const stats = join(tmp.dir, 'beyond.json');
    const r = runHv(['run', HELLO, '--until-cycles', '100000000', '--stats', stats]);
    expect(r.status).toBe(0);
    const s = readJson(stats);
    expect(s.endReason).toBe('all-stopped');
    expect(s.cycles).toBeLessThan(100000000);
    expect(s.guests[0]).toMatchObject({ state: 'halted', exitCode: 0 });
  });
});
