/**
 * Builds the native instruction-counter library from `native/*.c` with the host C
 * compiler. The output name carries a hash of the source, so an edited source is rebuilt and an
 * existing build is reused; the file is written under a temporary name and renamed so that
 * concurrent processes (parallel tests) never load a half-written library. The hash is
 * remembered with the sources' sizes and times (build/native/sources.json): while none of them
 * changed, a start reads no source.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeLibraryError } from '../errors.ts';
import { childProcess, sha256 } from '../lazy-builtins.ts';
import { unicornLibrary } from './library-path.ts';

const here = dirname(fileURLToPath(import.meta.url));
const NATIVE = join(here, 'native');
const SOURCES = ['counter.h', 'insn-counter.c', 'counter-hooks.c', 'counter-run.c', 'block-cache.c', 'finish.c', 'mmio.c', 'access.c', 'alignment.c', 'm-profile.c'].map((f) => join(NATIVE, f));
const OUT_DIR = resolve(here, '..', '..', 'build', 'native');

/**
 * Linker arguments for libunicorn: the directory of the library hvlab loads (deps/unicorn on
 * Debian 12), also as the run path; at run time the counter binds by soname to the libunicorn
 * already loaded by hv/unicorn/ffi.ts.
 */
function unicornLinkArgs(): string[] {
  const library = unicornLibrary();
  if (!isAbsolute(library)) return ['-l:libunicorn.so.2'];
  const dir = dirname(library);
  return [`-L${dir}`, `-Wl,-rpath,${dir}`, `-l:${basename(library)}`];
}

/**
 * Compiler flags. The block hook runs for every guest block: no SLP vectorization (it packs the
 * two counters into one 64-bit load that store forwarding cannot serve), and direct calls inside
 * the library.
 */
const CFLAGS = ['-O2', '-fno-tree-vectorize', '-fno-tree-slp-vectorize', '-fno-semantic-interposition', '-shared', '-fPIC', '-Wall'];

const STAMP_FILE = join(OUT_DIR, 'sources.json');

/** The build's inputs besides the sources' contents: each source's size and time, the flags. */
function stampOf(link: readonly string[]): string {
  const files = SOURCES.map((f) => {
    const s = statSync(f);
    return `${f}:${s.size}:${s.mtimeMs}`;
  });
  return [...files, ...CFLAGS, ...link].join('\n');
}

function sourceHash(link: readonly string[]): string {
  return sha256()
    .update(SOURCES.map((f) => readFileSync(f, 'utf8')).join('\0'))
    .update(CFLAGS.concat(link).join(' '))
    .digest('hex')
    .slice(0, 12);
}

/** The sources' hash, from build/native/sources.json while the stamp there still holds. */
function rememberedHash(link: readonly string[]): string {
  const stamp = stampOf(link);
  try {
    const saved = JSON.parse(readFileSync(STAMP_FILE, 'utf8')) as { stamp?: unknown; hash?: unknown };
    if (saved.stamp === stamp && typeof saved.hash === 'string') return saved.hash;
  } catch {
    // no record yet, or an unreadable one: hash the sources
  }
  const hash = sourceHash(link);
  try {
    mkdirSync(OUT_DIR, { recursive: true });
    const temp = `${STAMP_FILE}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ stamp, hash }));
    renameSync(temp, STAMP_FILE);
  } catch {
    // a read-only checkout hashes on every start
  }
  return hash;
}

/** Path of the built counter library, building it first if needed. */
export function counterLibraryPath(): string {
  const link = unicornLinkArgs();
  const hash = rememberedHash(link);
  const target = join(OUT_DIR, `libhvcounter-${hash}.so`);
  if (existsSync(target)) return target;
  mkdirSync(OUT_DIR, { recursive: true });
  const temp = `${target}.${process.pid}.tmp`;
  const cc = process.env['CC'] ?? 'cc';
  try {
    childProcess().execFileSync(cc, [...CFLAGS, '-o', temp, ...SOURCES.filter((f) => f.endsWith('.c')), ...link], { stdio: 'pipe' });
  } catch (cause) {
    const stderr = (cause as { stderr?: Buffer }).stderr?.toString() ?? '';
    throw new NativeLibraryError(
      `cannot build ${NATIVE} with '${cc}' (run scripts/install-deps.sh: it installs gcc and Unicorn 2.1.1): ${stderr || (cause as Error).message}`,
      { cause },
    );
  }
  renameSync(temp, target);
  return target;
}
