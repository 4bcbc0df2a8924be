/**
 * What only the real `hv` process shows (bin/hv.js): a reader that closes the pipe early
 * (`hv ... | head`) for every command, a disk trace to a full device, and a broken environment
 * (libunicorn or the C compiler missing). Each must end with exit status 0 (a closed pipe) or 2
 * and one line on stderr, never a stack trace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIRMWARE, ROOT, makeTempDir, runHv } from '../helpers/hv-cli.ts';
import { STACK_TRACE } from '../helpers/hv-in-process.ts';

const tmp = makeTempDir('hvlab-bad-process-');
afterAll(() => tmp.remove());
const HV = join(ROOT, 'bin/hv.js');
const BREAK = join(ROOT, 'test/helpers/break-native.mjs');
let msrTrace = '';

beforeAll(() => {
  msrTrace = join(tmp.dir, 'zipf.csv');
  const r = runHv(['trace-gen', 'zipf', '--requests', '2000', '--out', msrTrace]);
  expect(r.status, r.stderr).toBe(0);
});

/**
 * `hv args | true`: `true` exits at once, so hv's first write to stdout meets a closed pipe
 * (EPIPE). Returns hv's exit status and its stderr.
 */
function intoClosedPipe(args: readonly string[]): { status: number; stderr: string } {
  const err = join(tmp.dir, 'stderr.txt');
  const quoted = args.map((a) => `'${a}'`).join(' ');
  const r = spawnSync('bash', ['-c', `node '${HV}' ${quoted} 2>'${err}' | true; echo "\${PIPESTATUS[0]}"`], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  return { status: Number(r.stdout.trim()), stderr: readFileSync(err, 'utf8') };
}

describe('hv ... | head: a closed pipe ends the command quietly', () => {
  const commands: Record<string, () => string[]> = {
    'hv run': () => ['run', join(FIRMWARE, 'hello.elf')],
    'hv costs': () => ['costs'],
    'hv trace-gen': () => ['trace-gen', 'zipf', '--requests', '200000'],
    'hv cache-sim': () => ['cache-sim', '--trace', msrTrace, '--policy', 'lru'],
    'hv --help': () => ['--help'],
    'hv experiment io-path': () => ['experiment', 'io-path', '--requests', '1', '--out', join(tmp.dir, 'experiment')],
  };
  for (const [name, args] of Object.entries(commands)) {
    it(name, () => {
      const r = intoClosedPipe(args());
      expect(r.stderr).not.toMatch(STACK_TRACE);
      expect(r.stderr).not.toMatch(/EPIPE/);
      expect(r.status, r.stderr).toBe(0);
    });
  }
});

describe('hv run --disk-trace to a full device', () => {
  it('exits 2 naming the option and the file', () => {
    writeFileSync(join(tmp.dir, 'disk.img'), Buffer.alloc(1 << 20));
    const system = join(tmp.dir, 'disk.yaml');
    writeFileSync(system, `guests:\n  - {name: g, image: ${join(FIRMWARE, 'ioload.elf')}, io-path: emulated, disk: disk.img, cmdline: requests=2}\n`);
    const r = runHv(['run', system, '--disk-trace', '/dev/full']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stderr).toMatch(/^hv: --disk-trace \/dev\/full: cannot write: ENOSPC$/m);
  });
});

describe('a broken environment', () => {
  function broken(mode: string, env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, ['--import', BREAK, HV, 'run', join(FIRMWARE, 'hello.elf')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, HVLAB_TEST_BREAK: mode, ...env },
      timeout: 120_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('without libunicorn: exit 2, one line saying what to install', () => {
    const r = broken('libunicorn');
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^hv: cannot load \S*libunicorn\.so\.2: .*; run scripts\/install-deps\.sh \(it installs Unicorn 2\.1\.1\)$/m);
  });

  it('without the C compiler: exit 2, one line naming the compiler', () => {
    const r = broken('compiler', { CC: '/nonexistent/cc' });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(STACK_TRACE);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^hv: cannot build \S*hv\/unicorn\/native with '\/nonexistent\/cc' \(run scripts\/install-deps\.sh: it installs gcc and Unicorn 2\.1\.1\)/);
  });
});
