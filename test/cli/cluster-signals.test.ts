/**
 * `hv cluster run` holds disks in its slaves (a blank disk per I/O workload, in a temporary
 * directory of each slave): a run that ends, and one that SIGTERM stops while its slaves write,
 * close every slave's sessions and remove those directories. The slaves of the local transport
 * are worker threads: the master asks each to close and waits for it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FIRMWARE, ROOT, makeTempDir, runHv } from '../helpers/hv-cli.ts';

const temp = makeTempDir('hvlab-cluster-signals-');
afterAll(() => temp.remove());

/** Entries hvlab left in a private TMPDIR (tsx's own compile cache is not hvlab's). */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('hvlab-'));
}

function privateTmp(name: string): string {
  const dir = join(temp.dir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('hv cluster run and its slaves\' disks', () => {
  it('removes every slave\'s disk directory when the run ends', { timeout: 180_000 }, () => {
    const tmpdir = privateTmp('tmp-ends');
    const r = runHv(['cluster', 'run', 'guests/cluster.yaml', '--out', join(temp.dir, 'out-ends')], 180_000, { TMPDIR: tmpdir });
    expect(r.status, r.stderr).toBe(0);
    expect(leftovers(tmpdir)).toEqual([]);
  });

  it('closes the slaves and their disks on SIGTERM while they write, and exits 143', { timeout: 180_000 }, async () => {
    const tmpdir = privateTmp('tmp-signal');
    const file = join(temp.dir, 'writer.yaml');
    writeFileSync(
      file,
      [
        'quantum: 250000',
        'slaves:',
        '  - { name: alpha, cores: 1, memory: 16MiB, io-lanes: 1 }',
        'workloads:',
        `  - { name: writer, kind: io, image: ${FIRMWARE}/ackwrite.elf, io-path: emulated, disk-size: 1MiB }`,
        '',
      ].join('\n'),
    );
    const out = join(temp.dir, 'out-signal');
    const child = spawn(process.execPath, [join(ROOT, 'bin/hv.js'), 'cluster', 'run', file, '--out', out], { cwd: ROOT, env: { ...process.env, TMPDIR: tmpdir }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const ended = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Once the slave's disk exists, the workload writes to it (it never ends by itself).
    const timer = setInterval(() => {
      const slave = leftovers(tmpdir).find((d) => d.startsWith('hvlab-slave-alpha-'));
      if (slave && existsSync(join(tmpdir, slave, 'writer.raw'))) {
        clearInterval(timer);
        child.kill('SIGTERM');
      }
    }, 20);
    const status = await ended;
    clearInterval(timer);
    expect(status, stderr).toBe(143);
    expect(stderr).toContain('hv: SIGTERM: the cluster run was stopped; every slave closed its sessions and disks (no results written)');
    expect(stderr).not.toMatch(/internal error|\n\s+at /);
    expect(leftovers(tmpdir)).toEqual([]);
    expect(existsSync(join(out, 'results.json'))).toBe(false);
  });
});
