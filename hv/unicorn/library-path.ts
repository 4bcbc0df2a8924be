/**
 * Which libunicorn hvlab loads, and whether its version is one hvlab runs correctly and fast.
 *
 * Order: `$HVLAB_UNICORN` (a path to a libunicorn.so.2), then the copy scripts/install-deps.sh
 * unpacks on Debian 12 (deps/unicorn, Debian 13's libunicorn2t64), then the system's
 * libunicorn.so.2 (Debian 13's own package). The instruction counter links against the same
 * directory and binds to the already loaded library by soname.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SONAME = 'libunicorn.so.2';
const PROJECT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MULTIARCH: Partial<Record<string, string>> = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' };

/** The library to load: an absolute path, or the bare soname (the dynamic loader's search). */
export function unicornLibrary(): string {
  const explicit = process.env['HVLAB_UNICORN'];
  if (explicit) return explicit;
  const local = localLibrary();
  return local && existsSync(local) ? local : SONAME;
}

/** The project-local copy (deps/unicorn) that scripts/install-deps.sh unpacks on Debian 12. */
export function localLibrary(): string | undefined {
  const triplet = MULTIARCH[process.arch];
  return triplet ? join(PROJECT, 'deps', 'unicorn', 'usr', 'lib', triplet, SONAME) : undefined;
}

/** Unicorn's packed version word: major << 24 | minor << 16 | patch << 8 | extra. */
export interface UnicornVersion {
  major: number;
  minor: number;
  patch: number;
}

export function unpackVersion(word: number): UnicornVersion {
  return { major: (word >>> 24) & 0xff, minor: (word >>> 16) & 0xff, patch: (word >>> 8) & 0xff };
}

const INSTALL = 'run scripts/install-deps.sh (it installs Unicorn 2.1.1: Debian 13\'s libunicorn2t64)';

/**
 * Why `version` is unusable, or undefined when it is fine. 2.0.x sends every guest store through
 * a slow path (~45 ns a store); 2.1.2 and later make executable pages slow again, and 2.1.3 added a
 * helper call per hooked instruction; hvlab's exact instruction budget was verified on 2.1.1.
 */
export function versionProblem(v: UnicornVersion): string | undefined {
  const name = `${v.major}.${v.minor}.${v.patch}`;
  if (v.major !== 2) return `Unicorn ${name} is not supported (hvlab needs 2.1.1); ${INSTALL}`;
  if (v.minor === 0) return `Unicorn ${name} sends every guest store through a slow path (fixed in 2.1.0); ${INSTALL}`;
  if (v.minor === 1 && v.patch <= 1) return undefined;
  return `Unicorn ${name} is slow on executable pages (since 2.1.2); hvlab needs 2.1.1; ${INSTALL}`;
}
