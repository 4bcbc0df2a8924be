/**
 * Node built-in modules that `hv run` and most other commands never use, loaded on first use: a
 * static import loads them, and what they depend on, at every start of hv (node:crypto ~2 ms,
 * node:zlib ~0.5 ms, node:child_process ~2 ms on this project's test machine). Hashes and
 * compression are needed only by checkpoints, build identities, compressed qcow2 clusters and the
 * native counter's rebuild check; a child process only to build the native counter. (The type
 * imports below are erased: they load nothing.)
 */
import type * as ChildProcess from 'node:child_process';
import type * as Crypto from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Zlib from 'node:zlib';

const loadBuiltin = createRequire(import.meta.url);

/** A new SHA-256 hash (node:crypto loads on the first call). */
export function sha256(): Crypto.Hash {
  return (loadBuiltin('node:crypto') as typeof Crypto).createHash('sha256');
}

/** node:zlib, loaded on the first call. */
export function zlib(): typeof Zlib {
  return loadBuiltin('node:zlib') as typeof Zlib;
}

/** node:child_process, loaded on the first call. */
export function childProcess(): typeof ChildProcess {
  return loadBuiltin('node:child_process') as typeof ChildProcess;
}
