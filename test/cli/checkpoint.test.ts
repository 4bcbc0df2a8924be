/**
 * `hv run --checkpoint-at CYCLES --checkpoint FILE` saves the running system and goes on with
 * its output unchanged; `hv run --restore FILE` goes on from it and prints what the uninterrupted
 * run prints (the console lines from before the checkpoint first), with the same stats and trace
 * files. Bad checkpoints and options that do not go with --restore are one line and exit 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO, FIRMWARE, ROOT, type HvResult, makeTempDir, runHv } from '../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-cli-checkpoint-');
afterAll(() => tmp.remove());
const file = (name: string) => join(tmp.dir, name);
const UNTIL = ['--until-cycles', '20000000'];

/** One line on stderr, exit status 2. */
function badInput(r: HvResult): string {
  expect(r.status).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  return r.stderr.trim();
}

describe('hv run --checkpoint / --restore', () => {
  let reference: HvResult;
  let saving: HvResult;
  let restored: HvResult;
  beforeAll(() => {
    reference = runHv(['run', DEMO, ...UNTIL, '--stats', file('ref.json'), '--trace', file('ref-trace.json')]);
    saving = runHv(['run', DEMO, ...UNTIL, '--checkpoint-at', '5000000', '--checkpoint', file('c.hvck'), '--trace', file('saving-trace.json'), '--verbose']);
    restored = runHv(['run', '--restore', file('c.hvck'), ...UNTIL, '--stats', file('restored.json'), '--trace', file('restored-trace.json')]);
  }, 120_000);

  it('saves at the time asked for and goes on as the run without a checkpoint', () => {
    expect(reference.status).toBe(3);
    expect(saving.status).toBe(3);
    expect(saving.stdout).toBe(reference.stdout);
    expect(saving.stderr).toMatch(/hv: wrote checkpoint .*c\.hvck \(\d+ bytes\) at cycle 5\d{6}\n/);
    expect(readFileSync(file('saving-trace.json'), 'utf8')).toBe(readFileSync(file('ref-trace.json'), 'utf8'));
  });

  it('restores and prints, counts and traces what the uninterrupted run does', () => {
    expect(restored.status).toBe(3);
    expect(restored.stdout).toBe(reference.stdout);
    expect(restored.stdout).toContain('[hello] hello: booted');
    expect(readFileSync(file('restored.json'), 'utf8')).toBe(readFileSync(file('ref.json'), 'utf8'));
    expect(readFileSync(file('restored-trace.json'), 'utf8')).toBe(readFileSync(file('ref-trace.json'), 'utf8'));
  });

  it('saves where the run stops without --checkpoint-at, and the system file may be named again', () => {
    expect(runHv(['run', DEMO, '--until-cycles', '3000000', '--checkpoint', file('end.hvck'), '--quiet']).status).toBe(3);
    const again = runHv(['run', DEMO, '--restore', file('end.hvck'), ...UNTIL]);
    expect(again.status).toBe(3);
    expect(again.stdout).toBe(reference.stdout);
  }, 60_000);

  it('prints the system a checkpoint holds with --dry-run', () => {
    const dry = runHv(['run', '--restore', file('c.hvck'), '--dry-run']);
    expect(dry.status).toBe(0);
    expect(dry.stdout).toContain('name: compute');
  });

  it('warns when the run ends before --checkpoint-at and writes nothing', () => {
    const r = runHv(['run', join(FIRMWARE, 'hello.elf'), '--checkpoint-at', '900000000', '--checkpoint', file('never.hvck'), '--quiet']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/hv: warning: --checkpoint-at 900000000: the run stopped at cycle \d+, before it; no checkpoint was written/);
    expect(() => readFileSync(file('never.hvck'))).toThrow();
  });

  it('refuses bad checkpoints and options that do not go with --restore, in one line', () => {
    writeFileSync(file('cut.hvck'), readFileSync(file('c.hvck')).subarray(0, 1000));
    expect(badInput(runHv(['run', '--restore', file('cut.hvck')]))).toMatch(/^hv: .*cut\.hvck: truncated checkpoint \(1000 of \d+ bytes\)$/);
    expect(badInput(runHv(['run', '--restore', file('none.hvck')]))).toMatch(/^hv: .*none\.hvck: cannot read checkpoint: ENOENT/);
    expect(badInput(runHv(['run', '--restore', DEMO]))).toMatch(/not an hvlab checkpoint/);
    const other = badInput(runHv(['run', join(ROOT, 'guests/debug-demo.yaml'), '--restore', file('c.hvck')]));
    expect(other).toMatch(/^hv: .*c\.hvck: mismatched checkpoint: it holds the system of .*demo\.yaml, not .*debug-demo\.yaml$/);
    expect(badInput(runHv(['run', '--restore', file('c.hvck'), '--cores', '1']))).toBe('hv: --cores cannot be used with --restore: the system comes from the checkpoint');
    expect(badInput(runHv(['run', DEMO, '--checkpoint-at', '100']))).toBe('hv: --checkpoint-at: expected --checkpoint FILE (where to save the checkpoint)');
    expect(badInput(runHv(['run']))).toBe('hv: expected a system file (.yaml) or a guest image to run, or --restore FILE');
    expect(badInput(runHv(['run', DEMO, '--checkpoint', join(tmp.dir, 'missing-dir', 'c.hvck')]))).toMatch(/^hv: --checkpoint .*: cannot write: ENOENT/);
  }, 60_000);
});
