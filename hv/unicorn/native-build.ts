/**
 * Builds the native instruction-counter library from `native/insn-counter.c` with the host C
 * compiler. The output name carries a hash of the source, so an edited source is rebuilt and an
 * existing build is reused; the file is written under a temporary name and renamed so that
 * concurrent processes (parallel tests) never load a half-written library.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeLibraryError } from '../errors.ts';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(here, 'native', 'insn-counter.c');
const OUT_DIR = resolve(here, '..', '..', 'build', 'native');

/** Path of the built counter library, building it first if needed. */
export function counterLibraryPath(): string {
  const source = readFileSync(SOURCE);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 12);
  const target = join(OUT_DIR, `libhvcounter-${hash}.so`);
  if (existsSync(target)) return target;
  mkdirSync(OUT_DIR, { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  const cc = process.env['CC'] ?? 'cc';
  try {
    execFileSync(cc, ['-O2', '-shared', '-fPIC', '-o', temp, SOURCE, '-l:libunicorn.so.2'], { stdio: 'pipe' });
  } catch (cause) {
    const stderr = (cause as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new NativeLibraryError(
      `cannot build ${SOURCE} with '${cc}' (install gcc and libunicorn2): ${stderr || (cause as Error).message}`,
      { cause },
    );
  }
  renameSync(temp, target);
  return target;
}
