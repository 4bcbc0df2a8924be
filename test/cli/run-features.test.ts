/**
 * The command line beyond running a system: --version, the Node.js check, hv boards,
 * --dry-run, --json, --quiet, --verbose, --timeout, --trace-limit and its warning, output paths
 * checked before the run, and the single-image settings.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEMO, ROOT, guestLines, makeTempDir, runHv } from '../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-cli-features-');
afterAll(() => tmp.remove());
const HELLO = 'firmware/build/hello.elf';

describe('hv --version and the Node.js check', () => {
  it('prints the versions of hvlab, Node.js and Unicorn and exits 0', () => {
    const r = runHv(['--version']);
    expect(r.status).toBe(0);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(r.stdout).toBe(`hvlab ${pkg.version} (Node.js ${process.version}, Unicorn 2.1.1)\n`);
  });

  it('refuses an older Node.js with one clear line and exit status 2', () => {
    const older = 'data:text/javascript,Object.defineProperty(process.versions, "node", { value: "18.20.0" })';
    const r = spawnSync(process.execPath, ['--import', older, join(ROOT, 'bin/hv.js'), '--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe('hv: hvlab needs Node.js 20 or newer; this is Node.js 18.20.0 (see README.md, Quick start)\n');
  });
});

describe('hv boards', () => {
  it('lists the board with its CPU, memory map, devices and interrupt lines', () => {
    const r = runHv(['boards']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^mps2-an386: cortex-m4, 25 MHz, SysTick reference 1 MHz, 32 external interrupts, 8 priority bits$/m);
    expect(r.stdout).toMatch(/│ ssram1 \(code\) +│ 0x00000000 │ 4 MiB +│ rwx +│ 0x00400000 +│/);
    expect(r.stdout).toMatch(/│ uart0 +│ cmsdk-apb-uart +│ 0x40004000 │ 4 KiB +│ rx IRQ0, tx IRQ1, txOverrun IRQ12, rxOverrun IRQ12 +│/);
    expect(r.stdout).toMatch(/│ NMI +│ watchdog\.irq +│/);
    expect(r.stdout).toMatch(/│ IRQ12 +│ uart0\.txOverrun, uart0\.rxOverrun, uart1\.txOverrun/);
  });
});

describe('hv run --dry-run', () => {
  it('prints the resolved system as a runnable system file, runs nothing, and reads the images', () => {
    const r = runHv(['run', DEMO, '--dry-run', '--cores', '1']);
    expect(r.status).toBe(0);
    expect(guestLines(r.stdout)).toEqual([]);
    const resolved = parse(r.stdout);
    expect(resolved.cores).toBe(1);
    expect(resolved.guests.map((g: { name: string; core: number }) => [g.name, g.core])).toEqual([
      ['hello', 0],
      ['tasks', 0],
      ['fault', 0],
      ['compute', 0],
    ]);
    expect(resolved.guests[0]).toMatchObject({ 'code-size': 4 << 20, 'sram-size': 4 << 20, semihosting: true, 'console-limit': 1 << 20 });
    expect(r.stdout).toMatch(/^# fault: elf, entry 0x000000c1, 1 segments \(\d+ bytes\), \d+ symbols$/m);
    // What it prints runs as it is.
    const saved = join(tmp.dir, 'resolved.yaml');
    writeFileSync(saved, r.stdout);
    const again = runHv(['run', saved, '--dry-run']);
    expect(again.status).toBe(0);
    expect(again.stdout.split('\n').slice(1)).toEqual(r.stdout.split('\n').slice(1));
  });

  it('reports a bad image as a run would (exit 2)', () => {
    const r = runHv(['run', join(tmp.dir, 'missing.elf'), '--dry-run']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/missing\.elf: cannot read image: ENOENT/);
  });
});

describe('hv run output control', () => {
  it('--json prints the summary as JSON on stdout and the console lines on stderr', () => {
    const r = runHv(['run', DEMO, '--json']);
    expect(r.status).toBe(3);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ generator: 'hvlab', board: 'mps2-an386', endReason: 'all-stopped', exitStatus: 3 });
    expect(summary.events).toBeUndefined();
    expect(summary.seconds).toBeCloseTo(summary.cycles / 25e6, 9);
    expect(summary.guests.map((g: { name: string; state: string }) => [g.name, g.state])).toEqual([
      ['hello', 'halted'],
      ['tasks', 'halted'],
      ['fault', 'faulted'],
      ['compute', 'halted'],
    ]);
    expect(summary.guests[2].fault).toMatchObject({ kind: 'HardFault', pc: 0x60a, symbol: 'main+0x16' });
    expect(r.stderr).toContain('[hello] hello: booted\n');
  });

  it('--quiet prints the summary table only', () => {
    const r = runHv(['run', HELLO, '--quiet']);
    expect(r.status).toBe(0);
    expect(guestLines(r.stdout)).toEqual([]);
    expect(r.stdout).toMatch(/│ hello +│ 0 +│ halted +│/);
    expect(r.stderr).toBe('');
  });

  it('--verbose tells what the hypervisor did on stderr, leaving stdout as it was', () => {
    const plain = runHv(['run', HELLO]);
    const r = runHv(['run', HELLO, '--verbose']);
    expect(r.stdout).toBe(plain.stdout);
    expect(r.stderr).toMatch(/^hv: booted <command line>: 1 cores, hello on core 0 \(.*hello\.elf, entry 0xc5\)$/m);
    expect(r.stderr).toMatch(/^hv: hello: halted \(exit 0\), 1645 instructions, \d+ cycles$/m);
    expect(r.stderr).toMatch(/^hv: run ended: all-stopped at cycle \d+$/m);
  });
});

describe('hv run --timeout', () => {
  it('stops a run that would not end after that much host time, with exit status 4', () => {
    const r = runHv(['run', 'firmware/build/spin.elf', '--timeout', '0.5']);
    expect(r.status).toBe(4);
    expect(r.stderr).toMatch(/^hv: --timeout 0\.5: the run was stopped after 0\.5 s of host time, at cycle \d+$/m);
    expect(r.stdout).toMatch(/\nrun ended: stopped at cycle \d+ /);
  });

  it('refuses a timeout that is not a positive number', () => {
    const r = runHv(['run', HELLO, '--timeout', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--timeout: expected a positive number of seconds, got "0"');
  });
});

describe('hv run traces: limit and warning, output paths checked first', () => {
  it('warns on the terminal when the trace dropped events past --trace-limit', () => {
    const trace = join(tmp.dir, 'small.json');
    const r = runHv(['run', DEMO, '--trace', trace, '--trace-limit', '500', '--quiet']);
    expect(r.status).toBe(3);
    const written = JSON.parse(readFileSync(trace, 'utf8'));
    const dropped = written.otherData.droppedEvents;
    expect(dropped).toBeGreaterThan(1000);
    const warning = /^hv: warning: the trace dropped (\d+) events past its limit of 500, an equal share per guest \(--trace-limit; the stats are complete; dropped per guest: (.*)\)\n$/.exec(r.stderr);
    expect(warning, r.stderr).not.toBeNull();
    expect(Number(warning![1])).toBe(dropped);
    // The guests that print and trap most lose events; the ones that ran briefly lost none.
    const perGuest = new Map(warning![2]!.split(', ').map((entry) => [entry.split(' ')[0]!, Number(entry.split(' ')[1])]));
    expect([...perGuest.keys()].sort()).toEqual(['compute', 'tasks']);
    expect([...perGuest.values()].reduce((a, n) => a + n, 0)).toBeLessThanOrEqual(dropped);
  });

  it('reports a trace path that cannot be written before running anything', () => {
    for (const [path, reason] of [
      [join(tmp.dir, 'no/such/dir/t.json'), 'ENOENT'],
      [tmp.dir, 'EISDIR'],
    ] as const) {
      const r = runHv(['run', HELLO, '--trace', path]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`^hv: --trace .*: cannot write: ${reason}`));
    }
  });
});

describe('hv run: single-image settings', () => {
  it('--timing cycle changes the cycle count of a single image; --cmdline and sizes reach its configuration', () => {
    const stats = (args: string[]) => {
      const file = join(tmp.dir, `stats-${args.join('_').replace(/\W/g, '')}.json`);
      expect(runHv(['run', HELLO, '--stats', file, '--quiet', ...args]).status).toBe(0);
      return JSON.parse(readFileSync(file, 'utf8')).guests[0];
    };
    const plain = stats([]);
    const cycle = stats(['--timing', 'cycle']);
    expect(cycle.instructions).toBe(plain.instructions);
    expect(cycle.cycles).toBeGreaterThan(plain.cycles);
    const r = runHv(['run', HELLO, '--dry-run', '--cmdline', 'a=1 b=2', '--code-size', '64KiB', '--sram-size', '128KiB']);
    expect(parse(r.stdout).guests[0]).toMatchObject({ cmdline: 'a=1 b=2', 'code-size': 65536, 'sram-size': 131072 });
  });

  it('refuses them for a system file, and bad sizes, naming the option', () => {
    const yaml = runHv(['run', DEMO, '--timing', 'cycle']);
    expect(yaml.status).toBe(2);
    expect(yaml.stderr).toContain('--timing applies to a single image; in a system file set timing');
    const size = runHv(['run', HELLO, '--code-size', '1000']);
    expect(size.status).toBe(2);
    expect(size.stderr).toContain('--code-size: expected a positive multiple of 1 KiB');
    const small = runHv(['run', HELLO, '--code-size', '1KiB']);
    expect(small.status).toBe(2);
    expect(small.stderr).toMatch(/hello\.elf: segment 0 .* lies outside the guest's memory/);
  });
});

describe('hv run progress line', () => {
  it('shows virtual time and the share of --until-cycles on stderr when it is a terminal, and erases it at the end', () => {
    const log = join(tmp.dir, 'tty.txt');
    // script(1) gives the command a pseudo-terminal and records what it writes there.
    // --timeout makes the run last 2 s of host time whatever the host's speed (the line shows after 1 s).
    const command = `node bin/hv.js run firmware/build/spin.elf --until-cycles 900000000000 --timeout 2 > ${join(tmp.dir, 'out.txt')}`;
    const r = spawnSync('script', ['-qec', command, log], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    expect(r.status).toBe(4);
    const tty = readFileSync(log, 'utf8');
    expect(tty).toMatch(/\r\x1b\[Khv: \d+\.\d{3} s virtual, cycle \d+ \(\d+\.\d% of --until-cycles\), [\d.]+ M cycles per host second/);
    // Erased before the end-of-run messages.
    expect(tty).toMatch(/\r\x1b\[Khv: --timeout 2: the run was stopped/);
    expect(readFileSync(join(tmp.dir, 'out.txt'), 'utf8')).not.toContain('virtual, cycle');
  });
});
