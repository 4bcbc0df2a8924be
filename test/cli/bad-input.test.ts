/**
 * "Exit status 1 never happens for bad input or a bad environment": every entry point (the
 * top-level argument parsing, hv run, hv costs, hv experiment io-path) meets a table of bad
 * arguments and files, and must answer exit status 2 with a message naming the file, field or
 * option, and never a stack trace. In-process through `main()` (what bin/hv.js runs) for speed;
 * bad-input.process.test.ts checks the real command for what only a process shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRMWARE, makeTempDir } from '../helpers/hv-cli.ts';
import { STACK_TRACE, hvInProcess } from '../helpers/hv-in-process.ts';
import { aliasBomb } from '../helpers/hostile-yaml.ts';

const tmp = makeTempDir('hvlab-bad-input-');
afterAll(() => tmp.remove());
const at = (name: string) => join(tmp.dir, name);
const HELLO = join(FIRMWARE, 'hello.elf');
const IOLOAD = join(FIRMWARE, 'ioload.elf');

/** A file in the temp dir. */
function file(name: string, content: string | Uint8Array): string {
  writeFileSync(at(name), content);
  return at(name);
}

/** A system file with one guest (`extra` lines go into the guest entry, `top` before `guests:`). */
function system(name: string, guest: string[] = [], top: string[] = []): string {
  return file(name, [...top, 'guests:', '  - name: g', `    image: ${HELLO}`, ...guest.map((l) => `    ${l}`), ''].join('\n'));
}

/** A system whose one guest has a disk on the emulated path. */
function diskSystem(name: string, disk: string): string {
  return file(name, `guests:\n  - name: g\n    image: ${IOLOAD}\n    io-path: emulated\n    disk: ${disk}\n`);
}

beforeAll(() => {
  file('README.md', '# firmware\n\nBuild it with make.\n');
  file('fw.hex', ':10000000001000200900000000000000000000003F\n:00000001FF\n');
  const amd64 = Buffer.from(execFileSync('cat', [HELLO]));
  amd64.writeUInt16LE(62, 18);
  file('amd64.elf', amd64);
  file('empty.bin', new Uint8Array(0));
  file('huge.bin', Buffer.alloc(5 << 20, 0xff));
  mkdirSync(at('dir.yaml'));
  mkdirSync(at('out-dir'));
  symlinkSync('/dev/zero', at('zero.yaml'));
  symlinkSync('/dev/zero', at('zero.bin'));
  execFileSync('mkfifo', [at('fifo.yaml')]);
  file('syntax.yaml', 'guests:\n  - name: a\n    image: [unclosed\n');
  file('bomb.yaml', aliasBomb());
  file('unresolved.yaml', 'guests:\n  - *guest\n');
  file('scalar.yaml', '42\n');
  file('list.yaml', '- a\n- b\n');
  file('empty.yaml', '');
  file('nul.yaml', Buffer.from([0x00, 0xff, 0xfe, 0x01, 0x80, 0x0a]));
  file('deep.yaml', `guests: ${'['.repeat(50_000)}\n`);
  file('big.yaml', `# ${'x'.repeat(2 << 20)}\n`);
  file('notes.txt', 'not a system file\n');
  file('odd.img', Buffer.alloc(1000));
  file('garbage.qcow2', Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(100, 0xee)]));
  file('disk.img', Buffer.alloc(1 << 20));
  file('costs-bomb.yaml', aliasBomb());
  file('costs-unresolved.yaml', 'hypercall: *x\n');
  file('costs-list.yaml', '- 1\n- 2\n');
  file('costs-negative.yaml', 'hypercall: -5\n');
  file('costs-huge.yaml', 'hypercall: 1e400\n');
  file('costs-unknown.yaml', 'warpDrive: 3\n');
  file('a-file', 'x');
});

interface Case {
  readonly args: () => string[];
  /** What the first line of stderr says. */
  readonly message: RegExp;
  /** stderr lines allowed (default 1: one problem, one line). */
  readonly lines?: number;
  /** The guests ran before the problem showed (an output file failing at the end). */
  readonly ran?: boolean;
}

function expectBadInput(r: { status: number | null; stdout: string; stderr: string }, c: Case, label: string): void {
  expect(r.status, `${label}\n${r.stderr}`).toBe(2);
  expect(r.stderr, label).not.toMatch(STACK_TRACE);
  expect(r.stderr.trimEnd(), label).toMatch(c.message);
  expect(r.stderr.trimEnd().split('\n').length, `${label}\n${r.stderr}`).toBeLessThanOrEqual(c.lines ?? 1);
  if (!c.ran) expect(r.stdout, label).toBe('');
}

function table(cases: Record<string, Case>): void {
  for (const [label, c] of Object.entries(cases)) {
    it(label, async () => expectBadInput(await hvInProcess(c.args()), c, label));
  }
}

const USAGE = /^error: /;

describe('hv (top-level argument parsing)', () => {
  table({
    'no command': { args: () => [], message: /Usage: hv/, lines: 40 },
    'an unknown command': { args: () => ['bogus'], message: /^error: unknown command 'bogus'/ },
    'an unknown option': { args: () => ['--bogus'], message: /^error: unknown option '--bogus'/ },
    'help for an unknown command': { args: () => ['help', 'bogus'], message: /Usage: hv/, lines: 40 },
  });
});

describe('hv run: arguments', () => {
  const cores = ['0', '-1', 'abc', '1.5', '65', '200000', '1e3', '99999999999999999999', '', ' ', '0x10'];
  const cycles = ['-5', 'abc', '1e6', '99999999999999999999', '2.5'];
  table({
    'no target': { args: () => ['run'], message: /^hv: expected a system file \(\.yaml\) or a guest image to run, or --restore FILE$/ },
    'two targets': { args: () => ['run', HELLO, HELLO], message: /^error: too many arguments for 'run'/ },
    'an unknown option': { args: () => ['run', HELLO, '--bogus'], message: /^error: unknown option '--bogus'/ },
    'an option without its value': { args: () => ['run', HELLO, '--cores'], message: /^error: option '--cores <N>' argument missing/ },
    ...Object.fromEntries(cores.map((v) => [`--cores "${v}"`, { args: () => ['run', HELLO, '--cores', v], message: /^hv: --cores: expected an integer from 1 to 64, got "/ }])),
    ...Object.fromEntries(cycles.map((v) => [`--until-cycles "${v}"`, { args: () => ['run', HELLO, '--until-cycles', v], message: /^hv: --until-cycles: expected an integer >= 0, got "/ }])),
    '--until-line "("': { args: () => ['run', HELLO, '--until-line', '('], message: /^hv: --until-line: invalid regular expression "\("/ },
    '--stats /dev/full (a full device)': { args: () => ['run', HELLO, '--stats', '/dev/full'], message: /^hv: --stats \/dev\/full: cannot write: ENOSPC$/, ran: true },
    '--trace /dev/full (a full device)': { args: () => ['run', HELLO, '--trace', '/dev/full'], message: /^hv: --trace \/dev\/full: cannot write: ENOSPC$/, ran: true },
    '--stats into a directory': { args: () => ['run', HELLO, '--stats', at('out-dir')], message: /^hv: --stats .*out-dir: cannot write: EISDIR \(it is a directory\)$/ },
    '--trace into a missing directory': { args: () => ['run', HELLO, '--trace', at('no/such/trace.json')], message: /^hv: --trace .*no\/such\/trace\.json: cannot write: ENOENT$/ },
    '--disk-trace into a missing directory': { args: () => ['run', HELLO, '--disk-trace', at('no/such/d.csv')], message: /^hv: --disk-trace .*: cannot write: ENOENT$/ },
    '--disk-trace without a disk': { args: () => ['run', HELLO, '--disk-trace', at('d.csv')], message: /^hv: --disk-trace .*d\.csv: no guest has a disk$/ },
  });
});

describe('hv run: images', () => {
  table({
    'a missing image': { args: () => ['run', at('missing.elf')], message: /^hv: .*missing\.elf: cannot read image: ENOENT$/ },
    'a directory': { args: () => ['run', tmp.dir], message: /: cannot read image: not a regular file \(a directory\)$/ },
    '/dev/zero': { args: () => ['run', '/dev/zero'], message: /^hv: \/dev\/zero: cannot read image: not a regular file \(a character device\)$/ },
    '/dev/zero as a .bin': { args: () => ['run', at('zero.bin')], message: /zero\.bin: cannot read image: not a regular file \(a character device\)$/ },
    'a README': { args: () => ['run', at('README.md')], message: /README\.md: not a guest image: it looks like a text file/ },
    'an Intel HEX file': { args: () => ['run', at('fw.hex')], message: /fw\.hex: not a guest image: it looks like an Intel HEX file/ },
    'an ELF for x86-64': { args: () => ['run', at('amd64.elf')], message: /amd64\.elf: wrong machine 62 \(x86-64\)/ },
    'an empty .bin': { args: () => ['run', at('empty.bin')], message: /empty\.bin: empty binary image$/ },
    'a .bin larger than code memory': { args: () => ['run', at('huge.bin')], message: /huge\.bin: segment 0 at 0x0-0x4fffff lies outside the guest's memory/ },
    'a system file that names no file': { args: () => ['run', at('notes.txt')], message: /notes\.txt: not a guest image: it looks like a text file/ },
  });
});

describe('hv run: system files', () => {
  table({
    'a missing system file': { args: () => ['run', at('missing.yaml')], message: /^hv: .*missing\.yaml: cannot read system file: ENOENT$/ },
    'a directory named .yaml': { args: () => ['run', at('dir.yaml')], message: /dir\.yaml: cannot read system file: not a regular file \(a directory\)$/ },
    '/dev/zero named .yaml': { args: () => ['run', at('zero.yaml')], message: /zero\.yaml: cannot read system file: not a regular file \(a character device\)$/ },
    'a FIFO named .yaml (no writer: must not block)': { args: () => ['run', at('fifo.yaml')], message: /fifo\.yaml: cannot read system file: not a regular file \(a FIFO\)$/ },
    'a system file over 1 MiB': { args: () => ['run', at('big.yaml')], message: /big\.yaml: cannot read system file: \d+ bytes is more than the 1048576-byte limit$/ },
    'a YAML syntax error': { args: () => ['run', at('syntax.yaml')], message: /^hv: .*syntax\.yaml:\d+:\d+: / },
    'an alias bomb': { args: () => ['run', at('bomb.yaml')], message: /bomb\.yaml: invalid YAML: its aliases expand to too many nodes/ },
    'an unresolved alias': { args: () => ['run', at('unresolved.yaml')], message: /unresolved\.yaml: invalid YAML: Unresolved alias/ },
    'a scalar document': { args: () => ['run', at('scalar.yaml')], message: /scalar\.yaml: \(top level\): expected object/ },
    'a list document': { args: () => ['run', at('list.yaml')], message: /list\.yaml: \(top level\): expected object/ },
    'an empty file': { args: () => ['run', at('empty.yaml')], message: /empty\.yaml: guests: expected array/ },
    'binary garbage': { args: () => ['run', at('nul.yaml')], message: /nul\.yaml: \(top level\): expected object/ },
    '50,000 nested brackets': { args: () => ['run', at('deep.yaml')], message: /deep\.yaml:\d+:\d+: /, lines: 6 },
    'cores: 1e400': { args: () => ['run', system('cores-inf.yaml', [], ['cores: 1e400'])], message: /cores-inf\.yaml: cores: / },
    'cores: 99999999999': { args: () => ['run', system('cores-big.yaml', [], ['cores: 99999999999'])], message: /cores-big\.yaml: cores: Too big/ },
    'cores: -3': { args: () => ['run', system('cores-neg.yaml', [], ['cores: -3'])], message: /cores-neg\.yaml: cores: Too small/ },
    'slice-cycles: -1': { args: () => ['run', system('slice.yaml', [], ['slice-cycles: -1'])], message: /slice\.yaml: slice-cycles: Too small/ },
    'console-limit: 1e300': { args: () => ['run', system('limit.yaml', ['console-limit: 1e300'])], message: /limit\.yaml: guests\[0\]\.console-limit: Too big/ },
    'load-address: -1': { args: () => ['run', system('load.yaml', ['load-address: -1'])], message: /load\.yaml: guests\[0\]\.load-address: Too small/ },
    'io.cache.size: 1 PiB': { args: () => ['run', system('cache.yaml', [], ['io: {cache: {size: 1125899906842624}}'])], message: /cache\.yaml: io\.cache\.size: expected at most 1073741824 bytes/ },
    'io.cache.size: 64TiB': { args: () => ['run', system('cache-unit.yaml', [], ['io: {cache: {size: 64TiB}}'])], message: /cache-unit\.yaml: io\.cache\.size: expected a positive multiple of 1 KiB/ },
    'an unknown field': { args: () => ['run', system('unknown.yaml', ['colour: red'])], message: /unknown\.yaml: guests\[0\]: unknown field "colour"/ },
    '257 guests': {
      args: () => ['run', file('many.yaml', `guests:\n${Array.from({ length: 257 }, (_, i) => `  - {name: g${i}, image: ${HELLO}}`).join('\n')}\n`)],
      message: /many\.yaml: guests: at most 256 guests/,
    },
    'no guests': { args: () => ['run', file('no-guests.yaml', 'guests: []\n')], message: /no-guests\.yaml: guests: at least one guest/ },
    'a guest image that is /dev/zero': { args: () => ['run', file('img-zero.yaml', 'guests:\n  - {name: g, image: /dev/zero}\n')], message: /^hv: \/dev\/zero: cannot read image: not a regular file/ },
    'a guest image that is a README': { args: () => ['run', file('img-readme.yaml', 'guests:\n  - {name: g, image: README.md}\n')], message: /README\.md: not a guest image/ },
    'a missing cost file': { args: () => ['run', system('costs-missing.yaml', [], ['costs: nope.yaml'])], message: /nope\.yaml: cannot read cost file: ENOENT$/ },
    'a cost file that is /dev/zero': { args: () => ['run', system('costs-zero.yaml', [], ['costs: /dev/zero'])], message: /\/dev\/zero: cannot read cost file: not a regular file/ },
    'a cost file that is an alias bomb': { args: () => ['run', system('costs-bomb-sys.yaml', [], ['costs: costs-bomb.yaml'])], message: /costs-bomb\.yaml: invalid YAML: its aliases expand/ },
    'a driver VM image that is a README': {
      args: () => ['run', file('driver.yaml', `io: {driver-vm: {image: README.md}}\nguests:\n  - {name: g, image: ${HELLO}}\n`)],
      message: /README\.md: not a guest image/,
    },
  });
});

describe('hv run: disks', () => {
  table({
    'a missing disk': { args: () => ['run', diskSystem('disk-missing.yaml', 'nope.img')], message: /nope\.img: cannot open disk image: ENOENT$/ },
    'a disk that is /dev/zero': { args: () => ['run', diskSystem('disk-zero.yaml', '/dev/zero')], message: /^hv: \/dev\/zero: cannot open disk image: not a regular file \(a character device\)$/ },
    'a disk that is a directory': { args: () => ['run', diskSystem('disk-dir.yaml', 'out-dir')], message: /out-dir: cannot open disk image: not a regular file \(a directory\)$/ },
    'a raw disk of 1000 bytes': { args: () => ['run', diskSystem('disk-odd.yaml', 'odd.img')], message: /odd\.img: raw image size 1000 is not a multiple of 512 bytes$/ },
    'a corrupt qcow2 disk': { args: () => ['run', diskSystem('disk-garbage.yaml', 'garbage.qcow2')], message: /garbage\.qcow2: / },
    'a disk in snapshot mode that is /dev/zero': {
      args: () => ['run', file('snap-zero.yaml', `guests:\n  - {name: g, image: ${IOLOAD}, io-path: emulated, disk: /dev/zero, disk-snapshot: true}\n`)],
      message: /\/dev\/zero: cannot open disk image: not a regular file/,
    },
  });
});

describe('hv costs', () => {
  table({
    'a missing system file': { args: () => ['costs', at('missing.yaml')], message: /missing\.yaml: cannot read system file: ENOENT$/ },
    'a system argument that is not a system file': { args: () => ['costs', at('notes.txt')], message: /notes\.txt: expected a system file \(\.yaml or \.yml\)/ },
    'an alias bomb as the system file': { args: () => ['costs', at('bomb.yaml')], message: /bomb\.yaml: invalid YAML: its aliases expand/ },
    'an unresolved alias in the system file': { args: () => ['costs', at('unresolved.yaml')], message: /unresolved\.yaml: invalid YAML: Unresolved alias/ },
    '/dev/zero named .yaml': { args: () => ['costs', at('zero.yaml')], message: /zero\.yaml: cannot read system file: not a regular file/ },
    'a missing --costs file': { args: () => ['costs', '--costs', at('nope.yaml')], message: /nope\.yaml: cannot read cost file: ENOENT$/ },
    '--costs a directory': { args: () => ['costs', '--costs', tmp.dir], message: /cannot read cost file: not a regular file \(a directory\)$/ },
    '--costs /dev/zero': { args: () => ['costs', '--costs', '/dev/zero'], message: /^hv: \/dev\/zero: cannot read cost file: not a regular file \(a character device\)$/ },
    '--costs an alias bomb': { args: () => ['costs', '--costs', at('costs-bomb.yaml')], message: /costs-bomb\.yaml: invalid YAML: its aliases expand/ },
    '--costs an unresolved alias': { args: () => ['costs', '--costs', at('costs-unresolved.yaml')], message: /costs-unresolved\.yaml: invalid YAML: Unresolved alias/ },
    '--costs a list': { args: () => ['costs', '--costs', at('costs-list.yaml')], message: /costs-list\.yaml: \(top level\): /, lines: 2 },
    '--costs a negative cost': { args: () => ['costs', '--costs', at('costs-negative.yaml')], message: /costs-negative\.yaml: hypercall: /, lines: 2 },
    '--costs 1e400 cycles': { args: () => ['costs', '--costs', at('costs-huge.yaml')], message: /costs-huge\.yaml: hypercall: /, lines: 2 },
    '--costs an unknown cost': { args: () => ['costs', '--costs', at('costs-unknown.yaml')], message: /costs-unknown\.yaml: .*warpDrive/, lines: 2 },
    '--costs without a value': { args: () => ['costs', '--costs'], message: /^error: option '--costs <FILE>' argument missing/ },
    'an unknown option': { args: () => ['costs', '--bogus'], message: /^error: unknown option '--bogus'/ },
    'two system files': { args: () => ['costs', at('a.yaml'), at('b.yaml')], message: /^error: too many arguments for 'costs'/ },
  });
});

describe('hv experiment io-path', () => {
  const requests = ['0', '-1', 'abc', '10001', '1e3', '99999999999999999999'];
  const sizes = ['100', '-512', 'abc', '131072', '1e3', '513'];
  table({
    'no experiment': { args: () => ['experiment'], message: /^error: missing required argument 'name'/ },
    'an unknown experiment': { args: () => ['experiment', 'bogus'], message: /^hv: unknown experiment "bogus" \(known: io-path, sched, cluster\)$/ },
    'an unknown option': { args: () => ['experiment', 'io-path', '--bogus'], message: USAGE },
    ...Object.fromEntries(requests.map((v) => [`--requests "${v}"`, { args: () => ['experiment', 'io-path', '--requests', v], message: /^hv: --requests: expected an integer from 1 to 10000, got "/ }])),
    ...Object.fromEntries(sizes.map((v) => [`--size "${v}"`, { args: () => ['experiment', 'io-path', '--size', v], message: /^hv: --size: expected / }])),
    '--driver-core both': { args: () => ['experiment', 'io-path', '--driver-core', 'both'], message: /^hv: --driver-core: expected own or shared, got "both"$/ },
    '--out /dev/full': { args: () => ['experiment', 'io-path', '--out', '/dev/full'], message: /^hv: --out \/dev\/full: cannot create or write the output directory: EEXIST$/ },
    '--out a regular file': { args: () => ['experiment', 'io-path', '--out', at('a-file')], message: /^hv: --out .*a-file: cannot create or write the output directory: EEXIST$/ },
    '--out under a regular file': { args: () => ['experiment', 'io-path', '--out', join(at('a-file'), 'x')], message: /^hv: --out .*a-file\/x: cannot create or write the output directory: ENOTDIR$/ },
    // Every command with an output directory says it the same way.
    'experiment sched --out a regular file': { args: () => ['experiment', 'sched', '--out', at('a-file')], message: /^hv: --out .*a-file: cannot create or write the output directory: EEXIST$/ },
    'cache-sim --suite --out a regular file': { args: () => ['cache-sim', '--suite', '--out', at('a-file')], message: /^hv: --out .*a-file: cannot create or write the output directory: EEXIST$/ },
  });
});
