/**
 * Stats must not depend on where the tree is: the same system run from two copies at different
 * places writes byte-identical stats, naming images as the system file (or command line) gives
 * them, never by an absolute path.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, makeTempDir } from '../helpers/hv-cli.ts';
import { hvInProcess } from '../helpers/hv-in-process.ts';

const tmp = makeTempDir('hvlab-stats-location-');
afterAll(() => tmp.remove());

/** Copies repository files into `root`, keeping their relative paths. */
function copyTree(root: string, files: readonly string[]): string {
  for (const file of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(root, file));
  }
  return root;
}

const IO_DEMO = ['guests/io-demo.yaml', 'guests/disks/base.qcow2', 'firmware/build/ioload.elf', 'firmware/build/driver-vm.elf'];

describe('stats files do not depend on the checkout location', () => {
  it('the I/O demo (guest images, driver VM, disks) from two copies of the tree writes identical stats', async () => {
    const copies = [join(tmp.dir, 'a'), join(tmp.dir, 'elsewhere', 'deeper', 'b')].map((root) => copyTree(root, IO_DEMO));
    const stats: Buffer[] = [];
    for (const root of copies) {
      const out = join(root, 'stats.json');
      const r = await hvInProcess(['run', join(root, 'guests/io-demo.yaml'), '--stats', out]);
      expect(r.status, r.stderr).toBe(0);
      stats.push(readFileSync(out));
    }
    expect(stats[0]!.equals(stats[1]!)).toBe(true);
    const text = stats[0]!.toString('utf8');
    expect(text).not.toContain(tmp.dir);
    const report = JSON.parse(text) as { guests: Array<{ name: string; image: string }> };
    expect(report.guests.map((g) => [g.name, g.image])).toEqual([
      ['in-context', '../firmware/build/ioload.elf'],
      ['split', '../firmware/build/ioload.elf'],
      ['emulated', '../firmware/build/ioload.elf'],
      ['driver-vm', '../firmware/build/driver-vm.elf'],
    ]);
  });

  it('a single image keeps the path given on the command line', () => {
    const stats = ['one', 'two'].map((name) => {
      const root = copyTree(join(tmp.dir, name), ['firmware/build/hello.elf']);
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/hv.js'), 'run', 'firmware/build/hello.elf', '--stats', 'stats.json'], { cwd: root, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return readFileSync(join(root, 'stats.json'));
    });
    expect(stats[0]!.equals(stats[1]!)).toBe(true);
    expect(JSON.parse(stats[0]!.toString('utf8')).guests[0].image).toBe('firmware/build/hello.elf');
  });
});
