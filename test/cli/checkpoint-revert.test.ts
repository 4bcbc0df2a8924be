/**
 * A restore puts a raw image the guest owns back to its contents at the checkpoint. When that
 * fails halfway (here: the file-size limit of the restoring process, `ulimit -f`, so the image
 * cannot be written whole: EFBIG, as a full disk would give ENOSPC), the restore stops with one
 * line naming the image and the reason (exit 2), and the image is exactly as it was, with no
 * temporary file left beside it. With the limit lifted, the same restore succeeds.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRMWARE, ROOT, type HvResult, makeTempDir, runHv } from '../helpers/hv-cli.ts';

const tmp = makeTempDir('hvlab-cli-revert-');
afterAll(() => tmp.remove());
const file = (name: string) => join(tmp.dir, name);
const DISK_BYTES = 1 << 20;

/** `hv ARGS` with the size of the files it may write limited to `kib` KiB. */
function runHvLimited(kib: number, args: readonly string[]): HvResult {
  const r = spawnSync('bash', ['-c', `ulimit -f ${kib} && exec "$0" "$@"`, process.execPath, join(ROOT, 'bin/hv.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('hv run --restore when the owned image cannot be written back', () => {
  const image = file('owned.img');
  let saving: HvResult;
  beforeAll(() => {
    writeFileSync(image, Buffer.alloc(DISK_BYTES));
    writeFileSync(
      file('owned.yaml'),
      [
        'cores: 2',
        'io:',
        '  driver-vm:',
        `    image: ${join(FIRMWARE, 'driver-vm.elf')}`,
        '    core: 1',
        'guests:',
        '  - name: writer',
        `    image: ${join(FIRMWARE, 'ioload.elf')}`,
        '    io-path: emulated',
        '    disk: owned.img',
        '    cmdline: requests=2 seed=3',
        '',
      ].join('\n'),
    );
    saving = runHv(['run', file('owned.yaml'), '--checkpoint-at', '300000', '--checkpoint', file('c.hvck'), '--verbose']);
  }, 120_000);

  it('fails with one line naming the image and the reason, and leaves the image as it was', () => {
    expect(saving.status).toBe(0);
    expect(saving.stderr).toMatch(/hv: wrote checkpoint .*c\.hvck \(\d+ bytes\) at cycle \d+\n/);
    // What was written to the image since the checkpoint: the restore must not lose it halfway.
    const after = Buffer.alloc(DISK_BYTES, 0xa5);
    writeFileSync(image, after);
    const r = runHvLimited(256, ['run', '--restore', file('c.hvck')]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([`hv: ${image}: cannot put guest "writer"'s disk back to its contents at the checkpoint (EFBIG); the image is unchanged`]);
    expect(readFileSync(image).equals(after)).toBe(true);
    expect(readdirSync(tmp.dir).sort()).toEqual(['c.hvck', 'owned.img', 'owned.yaml']);
  });

  it('with room to write, the same restore runs and ends as the run that saved the checkpoint', () => {
    const r = runHv(['run', '--restore', file('c.hvck')]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(saving.stdout);
  });
});
