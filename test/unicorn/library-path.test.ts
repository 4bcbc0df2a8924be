/**
 * Which Unicorn versions hvlab accepts (library-path.ts), and the message the CLI prints for one
 * it refuses (exit 2, one line saying what to install).
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unpackVersion, versionProblem } from '../../hv/unicorn/library-path.ts';
import { ROOT } from '../helpers/hv-cli.ts';

/** Debian 12's Unicorn 2.0.1, when it happens to be installed (CI machines do not have it). */
const DEBIAN_12_UNICORN = '/usr/lib/x86_64-linux-gnu/libunicorn.so.2';

/** The system's libunicorn.so.2 is Debian 12's 2.0.x package (on Debian 13 the same path holds 2.1.1). */
function systemUnicornIs20(): boolean {
  if (!existsSync(DEBIAN_12_UNICORN)) return false;
  const dpkg = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'libunicorn2'], { encoding: 'utf8' });
  return dpkg.status === 0 && dpkg.stdout.startsWith('2.0.');
}

describe('Unicorn versions', () => {
  it('unpacks uc_version() words as major << 24 | minor << 16 | patch << 8 | extra', () => {
    expect(unpackVersion(0x020101ff)).toEqual({ major: 2, minor: 1, patch: 1 });
    expect(unpackVersion(0x020001ff)).toEqual({ major: 2, minor: 0, patch: 1 });
  });

  it('accepts 2.1.0 and 2.1.1 only, and says what to install otherwise', () => {
    expect(versionProblem({ major: 2, minor: 1, patch: 1 })).toBeUndefined();
    expect(versionProblem({ major: 2, minor: 1, patch: 0 })).toBeUndefined();
    expect(versionProblem({ major: 2, minor: 0, patch: 1 })).toMatch(/2\.0\.1 sends every guest store through a slow path.*install-deps\.sh/);
    expect(versionProblem({ major: 2, minor: 1, patch: 2 })).toMatch(/2\.1\.2 is slow on executable pages.*2\.1\.1/);
    expect(versionProblem({ major: 2, minor: 1, patch: 4 })).toMatch(/2\.1\.4/);
    expect(versionProblem({ major: 1, minor: 0, patch: 3 })).toMatch(/not supported/);
  });

  it.skipIf(!systemUnicornIs20())('hv refuses Unicorn 2.0.1 with one line and exit status 2', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/hv.js'), 'run', join(ROOT, 'firmware/build/hello.elf')], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, HVLAB_UNICORN: DEBIAN_12_UNICORN },
    });
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^hv: .*Unicorn 2\.0\.1 .*install-deps\.sh/)]);
  });
});
